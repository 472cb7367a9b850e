import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type Account,
  type Address,
  type Chain,
  createWalletClient,
  type Hex,
  http,
  publicActions,
} from 'viem';
import {
  claimRegistryArtifact,
  convAccumulateVerifierArtifact,
  disputeGameArtifact,
  extensionVerifierArtifact,
  gatherVerifierArtifact,
  modelRegistryArtifact,
  reexecVerifierArtifact,
  stakeManagerArtifact,
  tileVerifierArtifact,
} from './artifacts.generated.js';

export interface ProtocolParameters {
  /** Seconds a node waits between requesting unbonding and withdrawing. */
  readonly unbondingDelay: bigint;
  /** Seconds during which a claim can be challenged. */
  readonly challengeWindow: bigint;
  /** Wei bonded with each claim. */
  readonly claimBond: bigint;
  /** Wei a node must have bonded to post claims. */
  readonly minStake: bigint;
  /** Bisection arity k (a power of two): k − 1 split points per round. */
  readonly arity: bigint;
  /** Seconds each party of a dispute may spend on its moves, in all (a chess clock). */
  readonly clockSeconds: bigint;
  /** Wei a challenger bonds to open a dispute. */
  readonly challengeBond: bigint;
  /** Wei of stake taken from a node per proven fault (a lost dispute, a lapsed demand, ...). */
  readonly slashAmount: bigint;
  /** Share of a slash paid to whoever proved the fault, in basis points; the rest is burned. */
  readonly rewardBps: bigint;
  /** The most wei one slash pays its prover (paid after the unbonding delay). */
  readonly rewardCap: bigint;
  /** Disputes and demands open on one claim at once, at most (the window pauses while full). */
  readonly maxOpenDisputes: bigint;
  /** Wei bonded with a demand (reveal a receipt or inputs, show a receipt's claim). */
  readonly demandBond: bigint;
  /** Seconds a node has to answer a demand on one of its claims. */
  readonly answerSeconds: bigint;
}

/**
 * Bonds sized from measured gas (BENCHMARKS.md, `npm run bench -- gas`) so that the loser pays
 * the winner's gas up to 500 gwei: a griefer's 2 ETH bond keeps attacker / defender spending
 * ≥ 6 at every gas price up to 500 gwei, and a cheating node's claim bond (0.2 ETH) plus the
 * slash reward (0.5 ETH) pay an honest challenger's ≤ 1.3 Mgas at 500 gwei; a demand's 0.2 ETH
 * keeps demander / node spending ≥ 6 up to 500 gwei for answers from posted claims and inputs up
 * to ~1.8 KiB (`npm run bench -- demands`).
 */
export const DEV_PARAMETERS: ProtocolParameters = {
  unbondingDelay: 7n * 24n * 3600n,
  challengeWindow: 3600n,
  claimBond: 2n * 10n ** 17n,
  minStake: 10n ** 18n,
  arity: 2n,
  clockSeconds: 3600n,
  challengeBond: 2n * 10n ** 18n,
  slashAmount: 10n ** 18n,
  rewardBps: 5000n,
  rewardCap: 5n * 10n ** 17n,
  maxOpenDisputes: 16n,
  demandBond: 2n * 10n ** 17n,
  answerSeconds: 1800n,
};

/** Deploys `artifact` with constructor `args` and resolves to the new contract's address. */
export type ContractDeployer = (
  artifact: { readonly abi: readonly unknown[]; readonly bytecode: Hex },
  args: unknown[],
) => Promise<Address>;

/**
 * The kernel verifiers ReexecVerifier forwards to, each under EIP-170 on its own and claiming
 * its own ops (`ops()`); a new kernel goes into one with room (ConvAccumulateVerifier and
 * GatherVerifier have ~13 KB each), as ReexecVerifier takes up to four and all four are used.
 */
export const KERNEL_VERIFIER_ARTIFACTS = [
  tileVerifierArtifact,
  extensionVerifierArtifact,
  convAccumulateVerifierArtifact,
  gatherVerifierArtifact,
] as const;

/** Deploys the kernel verifiers, then the ReexecVerifier that routes each step to one of them. */
export async function deployReexecVerifier(deploy: ContractDeployer): Promise<Address> {
  const kernels: Address[] = [];
  for (const artifact of KERNEL_VERIFIER_ARTIFACTS) kernels.push(await deploy(artifact, []));
  return deploy(reexecVerifierArtifact, [kernels]);
}

export interface StoaAddresses {
  readonly chainId: number;
  readonly stakeManager: Address;
  readonly modelRegistry: Address;
  readonly claimRegistry: Address;
  readonly reexecVerifier: Address;
  readonly disputeGame: Address;
}

/**
 * Deploys every contract and wires them: the claim registry becomes the stake manager's only
 * slasher and the dispute game the claim registry's only dispute game. Returns their addresses.
 */
export async function deployStoa(options: {
  rpcUrl: string;
  account: Account;
  chain: Chain;
  parameters?: ProtocolParameters;
  /** The dispute game's one-step verifier (e.g. a Groth16 ZkVerifier); default: a new ReexecVerifier. */
  verifier?: Address;
}): Promise<StoaAddresses> {
  const p = options.parameters ?? DEV_PARAMETERS;
  const wallet = createWalletClient({
    account: options.account,
    chain: options.chain,
    transport: http(options.rpcUrl),
  }).extend(publicActions);
  const deploy: ContractDeployer = async (artifact, args) => {
    const hash = await wallet.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args,
    } as never);
    const receipt = await wallet.waitForTransactionReceipt({ hash });
    if (!receipt.contractAddress) throw new Error(`deployment transaction ${hash} created no contract`);
    return receipt.contractAddress;
  };
  const stakeManager = await deploy(stakeManagerArtifact, [p.unbondingDelay, p.rewardBps, p.rewardCap]);
  const modelRegistry = await deploy(modelRegistryArtifact, []);
  const claimRegistry = await deploy(claimRegistryArtifact, [
    stakeManager,
    modelRegistry,
    {
      challengeWindow: p.challengeWindow,
      claimBond: p.claimBond,
      minStake: p.minStake,
      slashAmount: p.slashAmount,
      maxOpen: Number(p.maxOpenDisputes),
      demandBond: p.demandBond,
      answerSeconds: p.answerSeconds,
    },
  ]);
  const reexecVerifier = await deployReexecVerifier(deploy);
  const disputeGame = await deploy(disputeGameArtifact, [
    claimRegistry,
    modelRegistry,
    options.verifier ?? reexecVerifier,
    p.arity,
    p.clockSeconds,
    p.challengeBond,
  ]);
  const wire = async (address: Address, abi: readonly unknown[], functionName: string, to: Address) => {
    const hash = await wallet.writeContract({ address, abi, functionName, args: [to] } as never);
    const receipt = await wallet.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`${functionName}(${to}) reverted in ${hash}`);
  };
  await wire(stakeManager, stakeManagerArtifact.abi, 'setSlasher', claimRegistry);
  await wire(claimRegistry, claimRegistryArtifact.abi, 'setDisputeGame', disputeGame);
  return {
    chainId: options.chain.id,
    stakeManager,
    modelRegistry,
    claimRegistry,
    reexecVerifier,
    disputeGame,
  };
}

/** Writes the addresses file the rest of the system reads (atomically: temp file, then rename). */
export async function writeAddresses(file: string, addresses: StoaAddresses): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(addresses, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function readAddresses(file: string): Promise<StoaAddresses> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read contract addresses from ${file}: ${(error as Error).message}`);
  }
  const record = parsed as Record<string, unknown>;
  for (const key of [
    'stakeManager',
    'modelRegistry',
    'claimRegistry',
    'reexecVerifier',
    'disputeGame',
  ] as const) {
    if (typeof record[key] !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(record[key] as string)) {
      throw new Error(`${file}: field '${key}' must be a 0x-prefixed 20-byte address`);
    }
  }
  if (typeof record.chainId !== 'number') throw new Error(`${file}: field 'chainId' must be a number`);
  return record as unknown as StoaAddresses;
}
