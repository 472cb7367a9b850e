import {
  buildTrace,
  edgeOutputsOf,
  execute,
  type IntTensor,
  type Model,
  makeReceipt,
  modelId,
  type SignedReceipt,
  signReceipt,
} from '@stoa/ir';
import { type Address, type PrivateKeyAccount, parseEther } from 'viem';
import { foundry } from 'viem/chains';
import type { LocalChain } from '../anvil.js';
import {
  claimRegistryArtifact,
  disputeGameArtifact,
  modelRegistryArtifact,
  stakeManagerArtifact,
} from '../artifacts.generated.js';
import { DEV_PARAMETERS, deployStoa, type ProtocolParameters, type StoaAddresses } from '../deploy.js';
import { ReceiptBatch, receiptArg } from './batch.js';
import { type ChainClient, emitted } from './client.js';
import { modelCommitments, registerArgs } from './commitments.js';
import type { ExecutionView } from './witness.js';

type Harness = ChainClient;

/** Contracts deployed on a test chain, a registered model and a staked node. */
export interface GameFixture {
  readonly h: Harness;
  readonly at: StoaAddresses;
  readonly parameters: ProtocolParameters;
  readonly model: Model;
  readonly node: PrivateKeyAccount;
}

export async function setUpGame(
  chain: LocalChain,
  h: Harness,
  deployer: PrivateKeyAccount,
  node: PrivateKeyAccount,
  model: Model,
  parameters: ProtocolParameters = DEV_PARAMETERS,
): Promise<GameFixture> {
  const at = await deployStoa({ rpcUrl: chain.rpcUrl, account: deployer, chain: foundry, parameters });
  await h.send(
    node,
    at.modelRegistry,
    modelRegistryArtifact.abi,
    'register',
    registerArgs(modelCommitments(model)),
  );
  await h.send(node, at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('5'));
  return { h, at, parameters, model, node };
}

/** The true execution, traced. */
export async function honestView(model: Model, inputs: IntTensor[]): Promise<ExecutionView> {
  const { values, trace } = await execute(model, inputs, { trace: true });
  return { model, values: values!, trace: trace! };
}

/** A view whose values were changed by `tamper` (which may edit any node) and then traced. */
export function tamperedView(
  honest: ExecutionView,
  tamper: (values: Int32Array[], model: Model) => void,
): ExecutionView {
  const values = honest.values.map((v) => (v ? v.slice() : v)) as Int32Array[];
  tamper(values, honest.model);
  return { model: honest.model, values, trace: buildTrace(honest.model, values) };
}

/** Adds `delta` to element `element` of the output of step `step`. */
export function perturbStep(step: number, element = 0, delta = 1) {
  return (values: Int32Array[], model: Model) => {
    const node = edgeOutputsOf(model.graph, model.schedule[step]!)[0]!;
    values[node]![element]! += delta;
  };
}

/** The zero trace root of a receipt whose trace is committed only when disputed (issue 14). */
export const TRACE_ON_DEMAND = new Uint8Array(32);

/**
 * The node's receipt for `view`: with its trace root (eager), or with a zero root when the
 * trace is committed only if a dispute opens (`onDemand`).
 */
export async function signView(
  f: GameFixture,
  view: ExecutionView,
  nonce: bigint,
  { onDemand = false }: { onDemand?: boolean } = {},
): Promise<SignedReceipt> {
  const domain = { chainId: foundry.id, verifyingContract: f.at.claimRegistry };
  const trace = onDemand ? { ...view.trace, traceRoot: TRACE_ON_DEMAND } : view.trace;
  return signReceipt(
    makeReceipt({ modelId: modelId(f.model), ...trace }, f.node.address, nonce),
    f.node,
    domain,
  );
}

/** Posts one claim over `receipts` and returns its id and the batch. */
export async function postClaim(f: GameFixture, receipts: SignedReceipt[]) {
  const batch = new ReceiptBatch(receipts, { chainId: foundry.id, verifyingContract: f.at.claimRegistry });
  const { modelId: id } = modelCommitments(f.model);
  const sent = await f.h.send(
    f.node,
    f.at.claimRegistry,
    claimRegistryArtifact.abi,
    'post',
    [id, batch.root, receipts.length],
    f.parameters.claimBond,
  );
  return { claimId: emitted(sent, f.at.claimRegistry, 'ClaimPosted').claimId as bigint, batch };
}

/** Opens a dispute on receipt `index` of a claim; returns the dispute id. */
export async function openDispute(
  f: GameFixture,
  challenger: PrivateKeyAccount,
  claimId: bigint,
  batch: ReceiptBatch,
  index: number,
): Promise<bigint> {
  const receipt = batch.receipts[index]!;
  const sent = await f.h.send(
    challenger,
    f.at.disputeGame,
    disputeGameArtifact.abi,
    'open',
    [claimId, receiptArg(receipt), receipt.signature, BigInt(index), batch.proof(index)],
    f.parameters.challengeBond,
  );
  return emitted(sent, f.at.disputeGame, 'DisputeOpened').disputeId as bigint;
}

export async function creditOf(f: GameFixture, who: Address): Promise<bigint> {
  return (await f.h.read(f.at.disputeGame, disputeGameArtifact.abi, 'credit', [who])) as bigint;
}

export async function bondedOf(f: GameFixture, who: Address): Promise<bigint> {
  return (await f.h.read(f.at.stakeManager, stakeManagerArtifact.abi, 'bondedOf', [who])) as bigint;
}

/** Slashing rewards owed to `who` by the stake manager (paid after the unbonding delay). */
export async function rewardOf(f: GameFixture, who: Address): Promise<bigint> {
  const [, owed] = (await f.h.read(f.at.stakeManager, stakeManagerArtifact.abi, 'rewards', [
    who,
  ])) as bigint[];
  return owed!;
}

/** What one full slash pays its prover: `rewardBps` of `slashAmount`, at most `rewardCap`. */
export function slashReward(p: ProtocolParameters): bigint {
  const share = (p.slashAmount * p.rewardBps) / 10_000n;
  return share < p.rewardCap ? share : p.rewardCap;
}
