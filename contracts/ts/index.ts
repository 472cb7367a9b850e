export { type AnvilOptions, anvilBinary, freePort, type LocalChain, startAnvil } from './anvil.js';
/** Every compiled contract, by `<contract>Artifact` (e.g. the Groth16 verifiers of contracts/src/zk). */
export * as artifacts from './artifacts.generated.js';
export {
  challengeBondsArtifact,
  claimRegistryArtifact,
  disputeGameArtifact,
  feeEscrowArtifact,
  generationGameArtifact,
  modelRegistryArtifact,
  reexecVerifierArtifact,
  stakeManagerArtifact,
} from './artifacts.generated.js';
export {
  CHALLENGE_AUTHORIZATION_TYPES,
  type ChallengeAuthorization,
  type ChallengeDomain,
  challengeAuthorizationDigest,
  challengeAuthorizer,
  openAuthorizedArgs,
  signChallengeAuthorization,
} from './challenges/authorization.js';
export {
  type ContractDeployer,
  DEV_PARAMETERS,
  deployReexecVerifier,
  deployStoa,
  KERNEL_VERIFIER_ARTIFACTS,
  type ProtocolParameters,
  readAddresses,
  type StoaAddresses,
  writeAddresses,
} from './deploy.js';
export {
  MAX_SETTLE_RECEIPTS,
  type Settlement,
  SettlementTooLargeError,
  type Settler,
  settleClaim,
} from './fees/settle.js';
export {
  NO_VOUCHER,
  type SettlementLeaf,
  settlementLeaves,
  signVoucher,
  type VoucherDomain,
  voucherDigest,
} from './fees/voucher.js';
export {
  HashTree,
  ReceiptBatch,
  receiptArg,
  receiptDigest,
  receiptDomainOf,
  receiptLeaf,
} from './game/batch.js';
export { type ChainClient, chainClient, DEV_ACCOUNTS, emitted, type MinedEvent } from './game/client.js';
export { type ModelCommitments, modelCommitments, registerArgs } from './game/commitments.js';
export {
  deployGenerationGame,
  type GenerationShape,
  setGenerationShape,
} from './game/generation.js';
export {
  challengerFromView,
  claimantFromView,
  type GameContext,
  type GameState,
  playOut,
  readGame,
  type ScriptedParty,
  type WitnessBuilder,
} from './game/parties.js';
export { claimantMoves, Phase } from './game/phases.js';
export { ensureRegistration, registrationMismatches } from './game/registration.js';
export {
  bondedOf,
  creditOf,
  type GameFixture,
  honestView,
  openDispute,
  perturbStep,
  postClaim,
  rewardOf,
  setUpGame,
  signView,
  slashReward,
  tamperedView,
} from './game/scenario.js';
export {
  childrenOf,
  type ExecutionView,
  finalRevealArgs,
  type GamePoint,
  initialStateArgs,
  leafAt,
  leafProof,
  OPENINGS_ABI,
  outputChunkTree,
  revealStepArgs,
  stateAfterWith,
  tileWitness,
  traceTree,
  transitionArgs,
} from './game/witness.js';
export {
  abiTensorType,
  encodeLayout,
  encodeStep,
  flattenAttrs,
  LAYOUT_ABI,
  layoutHash,
  type ModelLayout,
  modelLayout,
  STEP_ABI,
  type StepDescriptor,
  stepDescriptor,
  stepProof,
  stepsRoot,
} from './one-step/descriptor.js';
export { reexecVerifierAbi } from './one-step/verifier-abi.js';
