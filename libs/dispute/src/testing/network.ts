import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ChainClient,
  chainClient,
  claimRegistryArtifact,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  disputeGameArtifact,
  type ExecutionView,
  type GameFixture,
  type LocalChain,
  modelCommitments,
  type ProtocolParameters,
  receiptDomainOf,
  type ScriptedParty,
  setUpGame,
  signView,
  stakeManagerArtifact,
} from '@stoa/contracts';
import {
  type ExecutionBackend,
  type IntTensor,
  type Model,
  referenceBackend,
  type SignedReceipt,
  signReceipt,
  type TraceStore,
} from '@stoa/ir';
import type { Hex } from 'viem';
import { Claimer } from '../claimer.js';
import { Defender } from '../defender.js';
import { isOnDemand, onDemandReceipt } from '../on-demand.js';
import type { ClaimSource } from '../watcher.js';
import { Watcher } from '../watcher.js';

export const [DEPLOYER, NODE, WATCHER, STRANGER] = DEV_ACCOUNTS;

/** The inputs of a stored execution, as a node would serve them to a challenger. */
export async function storedInputs(
  traces: TraceStore,
  model: Model,
  receipt: SignedReceipt,
): Promise<IntTensor[] | undefined> {
  const stored = await traces.get(receipt.traceRoot.slice(2));
  if (!stored) return undefined;
  return [...model.graph.inputs].map((n) => {
    const type = model.graph.nodeTypes[n]!;
    return { dtype: type.dtype, shape: type.shape, data: stored.values[n]! };
  });
}

/** A node's claims served to watchers, the way the node's HTTP API will serve them. */
export function claimerSource(claimer: Claimer, model: Model): ClaimSource {
  return {
    receipts: async (claimId) => claimer.receiptsOf(claimId),
    inputs: async (receipt) =>
      isOnDemand(receipt) ? claimer.inputsOfReceipt(receipt) : storedInputs(claimer.traces, model, receipt),
  };
}

/**
 * One staked node (claimer + defender) and one watcher on a fresh deployment, each with its
 * own directory, for end-to-end tests of the dispute engine on a real chain.
 */
export class TestNetwork {
  private constructor(
    readonly client: ChainClient,
    readonly fixture: GameFixture,
    readonly dir: string,
    readonly claimer: Claimer,
  ) {}

  static async start(
    chain: LocalChain,
    model: Model,
    parameters: Partial<ProtocolParameters> = {},
  ): Promise<TestNetwork> {
    const client = chainClient(chain.rpcUrl);
    const fixture = await setUpGame(chain, client, DEPLOYER, NODE, model, {
      ...DEV_PARAMETERS,
      ...parameters,
    });
    const dir = await mkdtemp(join(tmpdir(), 'stoa-dispute-'));
    const claimer = await Claimer.open({
      dir: join(dir, 'node'),
      client,
      account: NODE,
      addresses: fixture.at,
      batchSize: 1000,
      maxBatchAgeMs: 60_000,
      models: (id) =>
        id.toLowerCase() === modelCommitments(model).modelId.toLowerCase() ? model : undefined,
    });
    return new TestNetwork(client, fixture, dir, claimer);
  }

  get model(): Model {
    return this.fixture.model;
  }

  get models(): (modelId: Hex) => Model | undefined {
    const id = modelCommitments(this.model).modelId.toLowerCase();
    return (modelId) => (modelId.toLowerCase() === id ? this.model : undefined);
  }

  /** Signs a receipt for `view` as the node and hands it to the claimer. */
  async answer(view: ExecutionView, nonce: bigint): Promise<SignedReceipt> {
    const receipt = await signView(this.fixture, view, nonce);
    await this.claimer.add(receipt, view);
    return receipt;
  }

  /**
   * Signs an on-demand receipt (zero trace root) for what `backend` computes from `inputs`, as
   * a node's hot path does, and hands the receipt and inputs to the claimer.
   */
  async answerOnDemand(
    inputs: IntTensor[],
    nonce: bigint,
    backend?: ExecutionBackend,
  ): Promise<SignedReceipt> {
    const { outputs } = await (backend ?? referenceBackend(this.model)).run(inputs);
    const receipt = await signReceipt(
      onDemandReceipt(this.model, inputs, outputs, NODE.address, nonce),
      NODE,
      receiptDomainOf(this.fixture.at),
    );
    await this.claimer.add(receipt, { model: this.model, inputs });
    return receipt;
  }

  /**
   * The node's defender. `rebuildOn` is the backend its on-demand traces are rebuilt on (the
   * node's own, honest or not); by default the reference interpreter.
   */
  defender(
    strategy?: (view: ExecutionView) => ScriptedParty,
    name = 'defender',
    rebuildOn?: ExecutionBackend,
  ): Promise<Defender> {
    return Defender.open({
      onDemand: { claimer: this.claimer, ...(rebuildOn ? { backend: () => rebuildOn } : {}) },
      client: this.client,
      account: NODE,
      addresses: this.fixture.at,
      models: this.models,
      traces: this.claimer.traces,
      dir: join(this.dir, name),
      ...(strategy ? { strategy } : {}),
    });
  }

  watcher(options: { readonly sampleRate?: number; readonly name?: string } = {}): Promise<Watcher> {
    return Watcher.open({
      client: this.client,
      account: WATCHER,
      addresses: this.fixture.at,
      models: this.models,
      source: claimerSource(this.claimer, this.model),
      sampleRate: options.sampleRate ?? 1,
      seed: 'test',
      dir: join(this.dir, options.name ?? 'watcher'),
    });
  }

  /**
   * Runs the node's defender and the watcher until the watcher has no open dispute. When
   * neither side can move (a party that cannot answer), the chain's clock is advanced past the
   * dispute clock, so the game ends the way it would in real time.
   */
  async settle(defender: Defender, watcher: Watcher, maxRounds = 400): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      const before = await this.client.reader.getBlockNumber();
      await defender.poll();
      await watcher.poll();
      if (watcher.openDisputes.length === 0 && defender.open === 0) return;
      if ((await this.client.reader.getBlockNumber()) === before) {
        await this.client.advance(this.fixture.parameters.clockSeconds + 1n);
      }
    }
    throw new Error('the disputes did not settle');
  }

  async bonded(): Promise<bigint> {
    return (await this.client.read(this.fixture.at.stakeManager, stakeManagerArtifact.abi, 'bondedOf', [
      NODE.address,
    ])) as bigint;
  }

  async claimStatus(claimId: bigint): Promise<number> {
    const claim = (await this.client.read(this.fixture.at.claimRegistry, claimRegistryArtifact.abi, 'get', [
      claimId,
    ])) as { status: number };
    return claim.status;
  }

  /** Why each dispute of this deployment ended, in order (DisputeResolved reasons). */
  async resolutionReasons(): Promise<string[]> {
    const logs = (await this.client.reader.getContractEvents({
      address: this.fixture.at.disputeGame,
      abi: disputeGameArtifact.abi,
      eventName: 'DisputeResolved',
      fromBlock: 0n,
    } as never)) as unknown as { args: { reason: string } }[];
    return logs.map((l) => l.args.reason);
  }

  async stop(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
