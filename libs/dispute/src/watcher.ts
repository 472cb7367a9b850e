import { join } from 'node:path';
import {
  type ChainClient,
  claimRegistryArtifact,
  disputeGameArtifact,
  type ExecutionView,
  emitted,
  ReceiptBatch,
  receiptDomainOf,
  registrationMismatches,
  type StoaAddresses,
} from '@stoa/contracts';
import {
  execute,
  type IntTensor,
  type Model,
  makeTensor,
  modelId as modelIdOf,
  type SignedReceipt,
  sha256,
  TraceStore,
  toHex,
  verifyReceipt,
} from '@stoa/ir';
import type { Hex, PrivateKeyAccount } from 'viem';
import { checkReceipt, openWithProof } from './challenger.js';
import { Journal } from './journal.js';
import { DisputePlayer } from './player.js';
import { ask, duplicateIn, inputsFromBytes, inputsProblem, servedListProblem } from './served.js';
import { loadView, saveView } from './views.js';

/** A receipt's place in a claim (ClaimRegistry `Placement`): what `proveDuplicate` is shown. */
interface Placement {
  readonly claimId: bigint;
  readonly index: number;
  readonly signature: Hex;
  readonly proof: Hex[];
}

type Record_ =
  | { readonly kind: 'cursor'; readonly block: bigint }
  | { readonly kind: 'dispute'; readonly disputeId: bigint; readonly modelId: Hex; readonly viewKey: string }
  | { readonly kind: 'ended'; readonly disputeId: bigint; readonly won: boolean };

/** Where a watcher gets what a claim's root commits to: the node serves these (GET /v1/...). */
export interface ClaimSource {
  /** The claim's receipts in batch order, or undefined when the node does not answer. */
  receipts(claimId: bigint): Promise<readonly SignedReceipt[] | undefined>;
  /** The inputs of one receipt's execution (checked against its inputDigest before use). */
  inputs(receipt: SignedReceipt): Promise<IntTensor[] | undefined>;
}

export interface WatcherOptions {
  readonly client: ChainClient;
  readonly account: PrivateKeyAccount;
  readonly addresses: StoaAddresses;
  /** The compiled model for a modelId, or undefined when this watcher does not know it. */
  readonly models: (modelId: Hex) => Model | undefined;
  readonly source: ClaimSource;
  /** Fraction of claims to verify, in [0, 1]. */
  readonly sampleRate: number;
  /** Makes the sample unpredictable to nodes yet reproducible for this watcher. */
  readonly seed: string;
  /** Where the watcher keeps its cursor, its disputes and their executions across restarts. */
  readonly dir: string;
  /** How long a node's answer may take before it counts as missing (default 10 s). */
  readonly answerTimeoutMs?: number;
}

export interface WatcherReport {
  readonly claimsSeen: number;
  readonly claimsSampled: number;
  readonly receiptsChecked: number;
  readonly faultsFound: number;
  readonly unverifiable: number;
  readonly disputesOpened: number;
  readonly disputesWon: number;
  readonly disputesLost: number;
  readonly findings: readonly { readonly claimId: bigint; readonly index: number; readonly reason: string }[];
}

/**
 * A long-running auditor: it follows ClaimPosted events, verifies a sampled fraction of claims
 * receipt by receipt, opens a dispute on the first wrong receipt of a claim, plays it to the
 * end, and reports what it checked.
 */
/**
 * How many polls a claim whose receipt list the node does not serve yet is retried before the
 * watcher demands a receipt on chain (the node may still be recording its own claim).
 */
const RETRIES = 3;
/** How many polls a claim whose inspection failed (a full claim, a lost RPC) is retried. */
const MAX_ATTEMPTS = 1000;

/** A demand this watcher made of a node ("reveal or lose"), followed until it is settled. */
interface Escalation {
  readonly kind: 'receipt' | 'inputs';
  readonly claimId: bigint;
  readonly modelId: Hex;
  readonly index: number;
  readonly deadline: bigint;
  /** For an inputs demand: the receipt and its proof in the claim. */
  readonly receipt?: SignedReceipt;
  readonly proof?: readonly Hex[];
}

interface ClaimState {
  readonly node: Hex;
  readonly batchRoot: Hex;
  readonly receipts: number;
  readonly status: number;
}

export class Watcher {
  private nextBlock = 0n;
  /** Claims the node could not serve yet (it may still be recording its own claim): retried. */
  private readonly retry = new Map<bigint, { modelId: Hex; attempts: number }>();
  private readonly active: { readonly disputeId: bigint; readonly player: DisputePlayer }[] = [];
  private readonly counts = {
    claimsSeen: 0,
    claimsSampled: 0,
    receiptsChecked: 0,
    faultsFound: 0,
    unverifiable: 0,
    disputesOpened: 0,
    disputesWon: 0,
    disputesLost: 0,
  };
  private readonly findings: { claimId: bigint; index: number; reason: string }[] = [];
  private readonly escalations = new Map<bigint, Escalation>();
  /** Where each receipt digest of a node's claims was first seen: to prove a later duplicate. */
  private readonly placements = new Map<string, Placement>();

  private constructor(
    private readonly options: WatcherOptions,
    private readonly journal: Journal<Record_>,
    private readonly traces: TraceStore,
  ) {}

  /** Opens the watcher's store and resumes the disputes it was playing when it stopped. */
  /** Commits what the journal has queued and closes it (a stopping node calls this). */
  close(): Promise<void> {
    return this.journal.close();
  }

  static async open(options: WatcherOptions): Promise<Watcher> {
    if (!(options.sampleRate >= 0 && options.sampleRate <= 1)) {
      throw new Error(`sampleRate must be within [0, 1], got ${options.sampleRate}`);
    }
    const journal = await Journal.open<Record_>(join(options.dir, 'watcher.jsonl'), (v) => v as Record_);
    const traces = await TraceStore.open(join(options.dir, 'traces'), { maxBytes: 2 ** 30 });
    const watcher = new Watcher(options, journal, traces);
    const ended = new Set(journal.all.flatMap((r) => (r.kind === 'ended' ? [r.disputeId] : [])));
    for (const r of journal.all) {
      if (r.kind === 'cursor') watcher.nextBlock = r.block;
      if (r.kind !== 'dispute' || ended.has(r.disputeId)) continue;
      const model = options.models(r.modelId);
      const view = model && (await loadView(traces, r.viewKey, model));
      if (!view) throw new Error(`cannot resume dispute ${r.disputeId}: its execution ${r.viewKey} is gone`);
      watcher.track(r.disputeId, view);
    }
    return watcher;
  }

  /** Whether claim `claimId` is in this watcher's sample. */
  sampled(claimId: bigint): boolean {
    const h = sha256(new TextEncoder().encode(`${this.options.seed}:${claimId}`));
    const draw = new DataView(h.buffer, h.byteOffset).getUint32(0) / 2 ** 32;
    return draw < this.options.sampleRate;
  }

  /** Reads new claims, checks the sampled ones, and moves every open dispute once. */
  async poll(): Promise<void> {
    const { client, addresses } = this.options;
    const latest = await client.reader.getBlockNumber();
    if (latest >= this.nextBlock) {
      const logs = (await client.reader.getContractEvents({
        address: addresses.claimRegistry,
        abi: claimRegistryArtifact.abi,
        eventName: 'ClaimPosted',
        fromBlock: this.nextBlock,
        toBlock: latest,
      } as never)) as unknown as { args: { claimId: bigint; modelId: Hex } }[];
      for (const log of logs) {
        this.counts.claimsSeen++;
        if (this.sampled(log.args.claimId)) {
          this.counts.claimsSampled++;
          await this.inspectSafely(log.args.claimId, log.args.modelId, 0);
        }
      }
      this.nextBlock = latest + 1n;
      await this.journal.append({ kind: 'cursor', block: this.nextBlock });
    }
    for (const [claimId, { modelId, attempts }] of [...this.retry]) {
      this.retry.delete(claimId);
      await this.inspectSafely(claimId, modelId, attempts);
    }
    for (const [demandId, escalation] of [...this.escalations]) {
      await this.followEscalation(demandId, escalation).catch((error: Error) =>
        this.note(
          escalation.claimId,
          escalation.index,
          `following demand ${demandId} failed: ${firstLine(error)}`,
        ),
      );
    }
    await Promise.all([...this.active].map((entry) => this.stepDispute(entry)));
  }

  private async stepDispute(entry: {
    readonly disputeId: bigint;
    readonly player: DisputePlayer;
  }): Promise<void> {
    const result = await entry.player.step().catch(() => ({ kind: 'waiting' as const }));
    if (result.kind !== 'over') return;
    this.active.splice(this.active.indexOf(entry), 1);
    await this.journal.append({ kind: 'ended', disputeId: entry.disputeId, won: result.won });
    if (result.won) this.counts.disputesWon++;
    else this.counts.disputesLost++;
  }

  /** One claim's answer, however bad, never stops the watcher: errors are findings. */
  private async inspectSafely(claimId: bigint, modelId: Hex, attempts: number): Promise<void> {
    try {
      await this.inspect(claimId, modelId, attempts);
    } catch (error) {
      // E.g. the claim is full (maxOpenDisputes): its window is paused, so try again later.
      this.note(claimId, -1, `inspecting the claim failed: ${firstLine(error as Error)}`);
      if (attempts < MAX_ATTEMPTS) this.retry.set(claimId, { modelId, attempts: attempts + 1 });
    }
  }

  private note(claimId: bigint, index: number, reason: string): void {
    this.findings.push({ claimId, index, reason });
  }

  /** Disputes this watcher is playing now. */
  get openDisputes(): readonly bigint[] {
    return this.active.map((a) => a.disputeId);
  }

  private async openedBefore(claimId: bigint): Promise<bigint | undefined> {
    const { client, addresses, account } = this.options;
    const logs = (await client.reader.getContractEvents({
      address: addresses.disputeGame,
      abi: disputeGameArtifact.abi,
      eventName: 'DisputeOpened',
      args: { claimId, challenger: account.address },
      fromBlock: 0n,
    } as never)) as unknown as { args: { disputeId: bigint } }[];
    return logs.at(-1)?.args.disputeId;
  }

  private track(disputeId: bigint, view: ExecutionView): void {
    const { client, account, addresses } = this.options;
    const player = new DisputePlayer({
      client,
      account,
      game: addresses.disputeGame,
      disputeId,
      role: 'challenger',
      view,
    });
    this.active.push({ disputeId, player });
  }

  /** Polls until every dispute this watcher opened is over. */
  async drain(
    options: { readonly pollMs?: number; readonly maxPolls?: number } = {},
  ): Promise<WatcherReport> {
    await this.poll();
    for (let i = 0; this.active.length > 0; i++) {
      if (i >= (options.maxPolls ?? 10_000)) throw new Error(`${this.active.length} disputes still open`);
      await this.poll();
      if (this.active.length > 0 && options.pollMs) await new Promise((r) => setTimeout(r, options.pollMs));
    }
    return this.report();
  }

  report(): WatcherReport {
    return { ...this.counts, findings: [...this.findings] };
  }

  private get domain() {
    const { addresses } = this.options;
    return receiptDomainOf(addresses);
  }

  private get timeoutMs(): number {
    return this.options.answerTimeoutMs ?? 10_000;
  }

  private async inspect(claimId: bigint, modelId: Hex, attempts: number): Promise<void> {
    const { source, client, addresses } = this.options;
    const model = this.options.models(modelId);
    if (!model) {
      this.counts.unverifiable++;
      return;
    }
    const claim = (await client.read(addresses.claimRegistry, claimRegistryArtifact.abi, 'get', [
      claimId,
    ])) as ClaimState;
    if (claim.status !== 1) return; // finalized or rejected already
    const mismatches = await registrationMismatches(client, addresses, claim.node, model);
    if (mismatches === 'unregistered' || mismatches.length > 0)
      this.note(claimId, -1, `the node's registration is not the model's: ${mismatches}`);

    const served = await ask(() => source.receipts(claimId), this.timeoutMs);
    const problem = servedListProblem(served, claim, this.domain);
    if (problem) {
      if ((served === undefined || served instanceof Error) && attempts + 1 < RETRIES) {
        this.retry.set(claimId, { modelId, attempts: attempts + 1 });
        return;
      }
      // Reveal or lose: the node must put a receipt of its claim on chain, or be slashed.
      const index = this.pick(claimId, claim.receipts);
      this.note(
        claimId,
        index,
        `the served receipt list is not the claim's (${problem}): demanding receipt ${index}`,
      );
      await this.demand('receipt', claimId, modelId, index, [claimId, index]);
      return;
    }
    const receipts = served as SignedReceipt[];
    const batch = new ReceiptBatch(receipts, this.domain);
    if (await this.proveDuplicates(claimId, claim, batch, receipts.length)) return;
    let demanded = false;
    for (const [index, receipt] of receipts.entries()) {
      const outcome = await this.verify(claimId, modelId, model, receipt, index, batch.proof(index));
      if (outcome === 'disputed') return; // one dispute rejects the claim
      if (outcome === 'no-inputs' && !demanded) {
        // Inputs missing, malformed or not the receipt's: the node must reveal them on chain.
        demanded = true;
        this.note(claimId, index, 'the node did not serve usable inputs: demanding them on chain');
        await this.demand(
          'inputs',
          claimId,
          modelId,
          index,
          [claimId, index, receiptArgOf(receipt), receipt.signature, batch.proof(index)],
          {
            receipt,
            proof: batch.proof(index),
          },
        );
      } else if (outcome === 'no-inputs') this.counts.unverifiable++;
    }
  }

  /** A deterministic, unpredictable index of a claim for this watcher to demand. */
  private pick(claimId: bigint, count: number): number {
    const h = sha256(new TextEncoder().encode(`${this.options.seed}:demand:${claimId}`));
    return new DataView(h.buffer, h.byteOffset).getUint32(0) % Math.max(1, count);
  }

  /** Checks one receipt; opens a dispute when it is wrong. */
  private async verify(
    claimId: bigint,
    modelId: Hex,
    model: Model,
    receipt: SignedReceipt,
    index: number,
    proof: readonly Hex[],
    revealed?: IntTensor[],
  ): Promise<'ok' | 'disputed' | 'no-inputs'> {
    // Faults the game settles at `open`, whatever the inputs: signature, model, step count.
    const fault = await staticFault(model, receipt, this.domain);
    if (fault) {
      await this.dispute(claimId, modelId, receipt, index, proof, await zeroView(model), fault);
      return 'disputed';
    }
    const inputs = revealed ?? (await ask(() => this.options.source.inputs(receipt), this.timeoutMs));
    if (inputsProblem(model, inputs)) return 'no-inputs';
    const verdict = await checkReceipt(model, receipt, inputs as IntTensor[], this.domain).catch(
      () => undefined,
    );
    if (!verdict || (!verdict.ok && !verdict.view)) return 'no-inputs';
    this.counts.receiptsChecked++;
    if (verdict.ok || !verdict.view) return 'ok';
    await this.dispute(claimId, modelId, receipt, index, proof, verdict.view, verdict.reason);
    return 'disputed';
  }

  private async dispute(
    claimId: bigint,
    modelId: Hex,
    receipt: SignedReceipt,
    index: number,
    proof: readonly Hex[],
    view: ExecutionView,
    reason: string,
  ): Promise<void> {
    this.counts.faultsFound++;
    this.note(claimId, index, reason);
    // The execution is stored before the dispute opens, so a restart can always resume it; a
    // dispute opened just before a crash (not yet journaled) is found on chain, not reopened.
    const viewKey = await saveView(this.traces, view);
    const disputeId =
      (await this.openedBefore(claimId)) ??
      (await openWithProof({ ...this.options, claimId, receipt, index, proof, view })).options.disputeId;
    await this.journal.append({ kind: 'dispute', disputeId, modelId, viewKey });
    this.counts.disputesOpened++;
    this.track(disputeId, view);
  }

  /** Proves on chain a receipt claimed twice (in this claim, or in another of the node's). */
  private async proveDuplicates(claimId: bigint, claim: ClaimState, batch: ReceiptBatch, count: number) {
    const { client, account, addresses } = this.options;
    const here = (index: number): Placement => ({
      claimId,
      index,
      signature: batch.receipts[index]!.signature,
      proof: batch.proof(index),
    });
    const prove = async (digest: Hex, a: Placement, ib: number) => {
      this.counts.faultsFound++;
      this.note(claimId, ib, 'a receipt claimed twice');
      await client.send(account, addresses.claimRegistry, claimRegistryArtifact.abi, 'proveDuplicate', [
        digest,
        a,
        here(ib),
      ]);
      return true;
    };
    const twice = duplicateIn(batch, count);
    if (twice) return prove(batch.digest(twice[0]), here(twice[0]), twice[1]);
    // One receipt is one digest: the same receipt re-signed (a fresh ECDSA k) is still a duplicate.
    const keyOf = (i: number) => `${claim.node.toLowerCase()}:${batch.digest(i)}`;
    for (let i = 0; i < count; i++) {
      const before = this.placements.get(keyOf(i));
      if (before && before.claimId !== claimId) return prove(batch.digest(i), before, i);
    }
    for (let i = 0; i < count; i++) this.placements.set(keyOf(i), here(i));
    return false;
  }

  private async demand(
    kind: Escalation['kind'],
    claimId: bigint,
    modelId: Hex,
    index: number,
    args: unknown[],
    extra: Pick<Escalation, 'receipt' | 'proof'> = {},
  ): Promise<void> {
    const { client, account, addresses } = this.options;
    const abi = claimRegistryArtifact.abi;
    const bond = (await client.read(addresses.claimRegistry, abi, 'demandBond')) as bigint;
    const fn = kind === 'receipt' ? 'demandReceipt' : 'demandInputs';
    const sent = await client.send(account, addresses.claimRegistry, abi, fn, args, bond);
    const event = emitted(sent, addresses.claimRegistry, 'Demanded');
    this.escalations.set(event.demandId as bigint, {
      kind,
      claimId,
      modelId,
      index,
      deadline: event.deadline as bigint,
      ...extra,
    });
  }

  /** A settled demand gives the watcher what it lacked; a lapsed one slashes the node. */
  private async followEscalation(demandId: bigint, e: Escalation): Promise<void> {
    const { client, account, addresses } = this.options;
    const abi = claimRegistryArtifact.abi;
    const demand = (await client.read(addresses.claimRegistry, abi, 'getDemand', [demandId])) as {
      settled: boolean;
    };
    if (!demand.settled) {
      if ((await client.reader.getBlock()).timestamp <= e.deadline) return;
      await client.send(account, addresses.claimRegistry, abi, 'expire', [demandId]);
      this.escalations.delete(demandId);
      this.counts.faultsFound++;
      this.note(e.claimId, e.index, `the node let demand ${demandId} lapse and was slashed`);
      return;
    }
    this.escalations.delete(demandId);
    const model = this.options.models(e.modelId)!;
    const eventName = e.kind === 'receipt' ? 'ReceiptRevealed' : 'InputsRevealed';
    const [log] = (await client.reader.getContractEvents({
      address: addresses.claimRegistry,
      abi,
      eventName,
      args: { demandId },
      fromBlock: 0n,
    } as never)) as unknown as { args: Record<string, unknown> }[];
    if (!log) return; // an answered demand whose event this RPC does not return: nothing to add
    if (e.kind === 'receipt') {
      const receipt = { ...(log.args.receipt as object), signature: log.args.signature } as SignedReceipt;
      const proof = log.args.proof as Hex[];
      const outcome = await this.verify(e.claimId, e.modelId, model, receipt, e.index, proof);
      if (outcome === 'no-inputs')
        await this.demand(
          'inputs',
          e.claimId,
          e.modelId,
          e.index,
          [e.claimId, e.index, receiptArgOf(receipt), receipt.signature, proof],
          {
            receipt,
            proof,
          },
        );
      return;
    }
    const inputs = inputsFromBytes(model, log.args.tensors as Hex[]);
    if (inputs instanceof Error) return this.note(e.claimId, e.index, `revealed inputs: ${inputs.message}`);
    await this.verify(e.claimId, e.modelId, model, e.receipt!, e.index, e.proof!, inputs);
  }
}

function firstLine(error: Error): string {
  return String(error?.message ?? error).split('\n')[0]!;
}

function receiptArgOf(r: SignedReceipt) {
  const { signature: _, ...fields } = r;
  return fields;
}

/** A fault the game settles at `open` without any execution: signature, model, step count. */
async function staticFault(
  model: Model,
  receipt: SignedReceipt,
  domain: { chainId: number; verifyingContract: Hex },
): Promise<string | undefined> {
  if (!(await verifyReceipt(receipt, domain).catch(() => false))) return 'bad signature';
  if (toHex(modelIdOf(model)) !== receipt.modelId.toLowerCase()) return 'wrong model';
  if (receipt.steps !== model.schedule.length) return 'wrong step count';
  return undefined;
}

/** An execution on zero inputs: the view a dispute settled at `open` never plays. */
async function zeroView(model: Model): Promise<ExecutionView> {
  const inputs = [...model.graph.inputs].map((n) => {
    const type = model.graph.nodeTypes[n]!;
    return makeTensor(type.dtype, type.shape);
  });
  const { values, trace } = await execute(model, inputs, { trace: true });
  return { model, values: values!, trace: trace! };
}
