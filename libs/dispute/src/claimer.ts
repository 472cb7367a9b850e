import { join } from 'node:path';
import {
  type ChainClient,
  claimRegistryArtifact,
  type ExecutionView,
  emitted,
  ReceiptBatch,
  receiptDomainOf,
  type StoaAddresses,
} from '@stoa/contracts';
import {
  createReceiptDigester,
  execute,
  type IntTensor,
  type Model,
  type ReceiptDomain,
  type SignedReceipt,
  TraceStore,
  toHex,
} from '@stoa/ir';
import type { Hex, PrivateKeyAccount } from 'viem';
import { Journal } from './journal.js';
import { decodeInputs, encodeInputs, encodeTensors } from './journaled-inputs.js';
import { executionKey, isOnDemand } from './on-demand.js';
import { saveView, viewKey } from './views.js';

const abi = claimRegistryArtifact.abi;

/** A receipt's identity in the journal: one execution answered under one nonce. */
const keyOf = (r: SignedReceipt) => `${executionKey(r)}:${r.nonce}`;

/** An on-demand receipt's execution as the hot path leaves it: its inputs, no trace. */
export interface OnDemandExecution {
  readonly model: Model;
  readonly inputs: readonly IntTensor[];
}

/**
 * A generation receipt's record (docs/generation-disputes.md): no trace of its own (its root is
 * the token tree, its token steps are receipts of their own), only what the node keeps to
 * defend it — the prompt, sampling parameters and token leaves, JSON-safe.
 */
export interface GenerationExecution {
  readonly generation: Readonly<Record<string, unknown>>;
}

type Record_ =
  | {
      readonly kind: 'receipt';
      readonly receipt: SignedReceipt;
      readonly at: number;
      /** The execution's inputs (base64 of their canonical bytes): enough to rebuild its trace. */
      readonly inputs?: readonly string[];
      /** Set for a generation receipt: what defends it (GenerationExecution). */
      readonly generation?: Readonly<Record<string, unknown>>;
    }
  | {
      readonly kind: 'posting';
      readonly batch: number;
      readonly root: Hex;
      readonly receipts: readonly string[];
    }
  | { readonly kind: 'posted'; readonly batch: number; readonly claimId: bigint }
  | { readonly kind: 'closed'; readonly batch: number; readonly status: 'finalized' | 'rejected' };

export interface ClaimerOptions {
  /** Where the journal and the retained traces live. */
  readonly dir: string;
  readonly client: ChainClient;
  readonly account: PrivateKeyAccount;
  readonly addresses: StoaAddresses;
  /** Post a claim once this many receipts of one model are pending. */
  readonly batchSize: number;
  /** ... or once the oldest pending receipt is this old. */
  readonly maxBatchAgeMs: number;
  /**
   * Post a full batch inside `add` (the default), or leave it to `postFull`/`tick` so that the
   * caller — a node answering a request — does not wait for the chain.
   */
  readonly postInline?: boolean;
  /** Bytes of traces kept for open batches; adding past it fails loudly rather than dropping one. */
  readonly maxTraceBytes?: number;
  /**
   * The models receipts are for: on open, a receipt whose trace never reached the store (the
   * process died between journaling it and writing its trace) is re-executed from its journaled
   * inputs. Without it such a receipt makes `open` fail, naming it.
   */
  readonly models?: (modelId: Hex) => Model | undefined;
  /**
   * The journal is rewritten without the inputs of finalized claims once they add up to this
   * many characters (default 64 MiB of base64: about 85,000 MNIST digits).
   */
  readonly compactAfterChars?: number;
  readonly now?: () => number;
}

const DEFAULT_COMPACT_AFTER_CHARS = 64 * 2 ** 20;

export interface BatchInfo {
  readonly batch: number;
  readonly claimId?: bigint;
  readonly receipts: readonly SignedReceipt[];
  readonly status: 'pending' | 'posted' | 'finalized' | 'rejected';
}

/**
 * Turns a node's stream of receipts into batch claims. Every receipt is journaled (fsync'd),
 * with its execution's inputs, before `add` returns, and a batch is journaled before its claim
 * is sent, so that after a crash — even between sending a claim and recording it — reopening
 * finds each receipt either pending or in exactly one claim on chain. An execution's trace is
 * written to the trace store in the background (`add` does not wait for it); a batch is posted
 * only once its traces are stored, and a trace lost to a crash is rebuilt on open from the
 * journaled inputs (execution is deterministic). The traces of a batch are kept until its
 * claim has closed, so that disputes on them can be defended.
 */
export class Claimer {
  private claimBond?: bigint;
  /** Indexes over the journal, kept as records are applied: every query is O(answer). */
  private readonly byKey = new Map<string, { readonly receipt: SignedReceipt; readonly at: number }>();
  private readonly pendingKeys = new Set<string>();
  private readonly inputsOf = new Map<string, readonly string[]>();
  /** Generation receipts (by key) and what their node keeps to defend them. */
  private readonly generations = new Map<string, Readonly<Record<string, unknown>>>();
  /**
   * The same inputs by execution key (what a node's inputs URL names), with how many receipts
   * not yet finalized name that execution (one input may be answered twice, in two claims).
   */
  private readonly inputsByExecution = new Map<
    string,
    { readonly modelId: Hex; readonly inputs: readonly string[]; uses: number }
  >();
  /** Characters of journaled inputs dropped from memory since the journal was last compacted. */
  private prunedChars = 0;
  private readonly batchList: {
    batch: number;
    claimId?: bigint;
    keys: readonly string[];
    status: BatchInfo['status'];
  }[] = [];
  private maxNonce = 0n;
  /** Traces being written in the background, and those whose write failed (kept to retry). */
  private readonly saving = new Map<string, Promise<void>>();
  private readonly unsaved = new Map<string, ExecutionView>();
  /** When each posted claim's challenge window ends (chain time), once read. */
  private readonly windowEnds = new Map<number, bigint>();

  private constructor(
    private readonly options: ClaimerOptions,
    private readonly journal: Journal<Record_>,
    readonly traces: TraceStore,
    private readonly domain: ReceiptDomain,
    /** The receipts' digests in this claimer's domain, for the batches it posts. */
    private readonly digestOf: (receipt: SignedReceipt) => Uint8Array,
  ) {
    for (const record of journal.all) this.apply(record);
  }

  private apply(record: Record_): void {
    switch (record.kind) {
      case 'receipt': {
        const key = keyOf(record.receipt);
        this.byKey.set(key, { receipt: record.receipt, at: record.at });
        if (record.generation) this.generations.set(key, record.generation);
        if (record.inputs) {
          this.inputsOf.set(key, record.inputs);
          const execution = executionKey(record.receipt);
          const known = this.inputsByExecution.get(execution);
          if (known) known.uses++;
          else
            this.inputsByExecution.set(execution, {
              modelId: record.receipt.modelId,
              inputs: record.inputs,
              uses: 1,
            });
        }
        this.pendingKeys.add(key);
        if (record.receipt.nonce > this.maxNonce) this.maxNonce = record.receipt.nonce;
        return;
      }
      case 'posting':
        for (const key of record.receipts) this.pendingKeys.delete(key);
        this.batchList[record.batch] = { batch: record.batch, keys: record.receipts, status: 'pending' };
        return;
      case 'posted':
        Object.assign(this.batchList[record.batch]!, { claimId: record.claimId, status: 'posted' });
        return;
      case 'closed':
        this.batchList[record.batch]!.status = record.status;
        // A finalized claim can no longer be disputed or demanded: its inputs are not needed.
        if (record.status === 'finalized') this.pruneInputs(this.batchList[record.batch]!.keys);
        return;
    }
  }

  /** Forgets the journaled inputs of these receipts (an execution's, once no open receipt names it). */
  private pruneInputs(keys: readonly string[]): void {
    for (const key of keys) {
      const inputs = this.inputsOf.get(key);
      if (!inputs) continue;
      this.inputsOf.delete(key);
      this.prunedChars += inputs.reduce((sum, s) => sum + s.length, 0);
      const execution = executionKey(this.byKey.get(key)!.receipt);
      const shared = this.inputsByExecution.get(execution);
      if (shared && --shared.uses === 0) this.inputsByExecution.delete(execution);
    }
  }

  /**
   * Rewrites the journal without the inputs pruned from memory, once they add up to
   * `compactAfterChars`: the file would otherwise keep every input the node ever answered.
   */
  private async compactIfDue(): Promise<void> {
    if (this.prunedChars < (this.options.compactAfterChars ?? DEFAULT_COMPACT_AFTER_CHARS)) return;
    this.prunedChars = 0;
    await this.journal.compact((record) => {
      if (record.kind !== 'receipt' || !record.inputs || this.inputsOf.has(keyOf(record.receipt)))
        return record;
      const { inputs: _pruned, ...kept } = record;
      return kept;
    });
  }

  private async record(record: Record_): Promise<void> {
    await this.journal.append(record);
    this.apply(record);
  }

  static async open(options: ClaimerOptions): Promise<Claimer> {
    if (!(options.batchSize >= 1)) throw new Error(`batchSize must be at least 1, got ${options.batchSize}`);
    const journal = await Journal.open<Record_>(join(options.dir, 'claims.jsonl'), (v) => v as Record_);
    const traces = await TraceStore.open(join(options.dir, 'traces'), {
      maxBytes: options.maxTraceBytes ?? 2 ** 30,
    });
    const domain = receiptDomainOf(options.addresses);
    const claimer = new Claimer(options, journal, traces, domain, await createReceiptDigester(domain));
    await claimer.recover();
    return claimer;
  }

  /** Commits what the journal has queued and closes it; `add` fails after (a stopping node calls this). */
  close(): Promise<void> {
    return this.journal.close();
  }

  /** The highest receipt nonce recorded: a restarted node continues after it. */
  get lastNonce(): bigint {
    return this.maxNonce;
  }

  /** How many receipts are not yet in a claim. */
  get pendingCount(): number {
    return this.pendingKeys.size;
  }

  /** Receipts not yet in any claim, oldest first. */
  get pending(): SignedReceipt[] {
    return [...this.pendingKeys].map((k) => this.byKey.get(k)!.receipt);
  }

  get batchCount(): number {
    return this.batchList.length;
  }

  batches(): BatchInfo[] {
    return this.batchList.map((b) => ({
      batch: b.batch,
      ...(b.claimId !== undefined ? { claimId: b.claimId } : {}),
      receipts: b.keys.map((k) => this.byKey.get(k)!.receipt),
      status: b.status,
    }));
  }

  /** The receipts of the claim `claimId`, in batch order (what a challenger needs for proofs). */
  receiptsOf(claimId: bigint): readonly SignedReceipt[] | undefined {
    const batch = this.batchList.find((b) => b.claimId === claimId);
    return batch?.keys.map((k) => this.byKey.get(k)!.receipt);
  }

  /** The journaled inputs of a receipt this node signed, decoded; undefined if not kept. */
  inputsOfReceipt(receipt: SignedReceipt): IntTensor[] | undefined {
    const inputs = this.inputsOf.get(keyOf(receipt));
    const model = this.options.models?.(receipt.modelId);
    return inputs && model ? decodeInputs(model, inputs) : undefined;
  }

  /** What this node kept to defend a generation receipt it signed (GenerationExecution). */
  generationOf(receipt: SignedReceipt): Readonly<Record<string, unknown>> | undefined {
    return this.generations.get(keyOf(receipt));
  }

  /** The journaled inputs of the execution named `key` (`executionKey` of its receipts). */
  inputsOfExecution(key: Hex): { readonly modelId: Hex; readonly inputs: IntTensor[] } | undefined {
    const found = this.inputsByExecution.get(key.toLowerCase());
    const model = found && this.options.models?.(found.modelId);
    return found && model ? { modelId: found.modelId, inputs: decodeInputs(model, found.inputs) } : undefined;
  }

  /**
   * Records a receipt (and the execution it commits to), then posts a claim if a batch is due.
   * An eager receipt comes with its traced execution, whose trace is stored behind; an
   * on-demand receipt (zero trace root) with its inputs only, rebuilt if a dispute opens.
   */
  async add(
    receipt: SignedReceipt,
    execution: ExecutionView | OnDemandExecution | GenerationExecution,
  ): Promise<void> {
    if (receipt.node.toLowerCase() !== this.options.account.address.toLowerCase()) {
      throw new Error(
        `receipt is signed for node ${receipt.node}, but this claimer posts as ${this.options.account.address}`,
      );
    }
    if (this.byKey.has(keyOf(receipt))) return; // idempotent
    if ('generation' in execution) {
      await this.record({ kind: 'receipt', receipt, at: this.now(), generation: execution.generation });
      if (this.options.postInline !== false) await this.postFull();
      return;
    }
    const traced = 'trace' in execution;
    if (traced === isOnDemand(receipt))
      throw new Error(
        `receipt nonce ${receipt.nonce}: ${traced ? 'an on-demand receipt (zero trace root) comes with its inputs, not a trace' : 'an eager receipt comes with its traced execution'}`,
      );
    // Started before the journal write, so the trace's bytes count against the store at once.
    if (traced) this.saveInBackground(execution);
    const inputs = traced ? encodeInputs(execution) : encodeTensors(execution.model, execution.inputs);
    await this.record({ kind: 'receipt', receipt, at: this.now(), inputs });
    if (this.options.postInline !== false) await this.postFull();
  }

  private saveInBackground(view: ExecutionView): void {
    const key = viewKey(view);
    if (this.saving.has(key)) return;
    const saving = saveView(this.traces, view).then(
      () => {
        this.unsaved.delete(key);
      },
      () => {
        this.unsaved.set(key, view); // retried before the batch that needs it is posted
      },
    );
    this.saving.set(key, saving);
    void saving.finally(() => this.saving.delete(key));
  }

  /** Waits for the traces of `receipts` to be stored, retrying failed writes (which then throw). */
  private async tracesStored(receipts: readonly SignedReceipt[]): Promise<void> {
    const keys = new Set(
      receipts.filter((r) => !isOnDemand(r)).map((r) => r.traceRoot.slice(2).toLowerCase()),
    );
    await Promise.all([...keys].map((k) => this.saving.get(k)));
    for (const key of keys) {
      const view = this.unsaved.get(key);
      if (!view) continue;
      await saveView(this.traces, view);
      this.unsaved.delete(key);
    }
  }

  /** Posts a claim for every model with a full batch pending. */
  async postFull(): Promise<void> {
    if (this.pendingKeys.size < this.options.batchSize) return;
    for (const modelId of new Set(this.pending.map((r) => r.modelId))) {
      if (this.pendingOf(modelId).length >= this.options.batchSize) await this.flush(modelId);
    }
  }

  /** Posts claims whose oldest pending receipt is older than maxBatchAgeMs; closes due claims. */
  async tick(): Promise<void> {
    await this.postFull();
    const oldest = new Map<string, number>();
    for (const key of this.pendingKeys) {
      const { receipt, at } = this.byKey.get(key)!;
      if (!oldest.has(receipt.modelId)) oldest.set(receipt.modelId, at);
    }
    for (const [modelId, at] of oldest) {
      if (this.now() - at >= this.options.maxBatchAgeMs) await this.flush(modelId as Hex);
    }
    await this.closeDue();
  }

  /** Posts every pending receipt (of one model, or all models): graceful shutdown calls this. */
  async flush(modelId?: Hex): Promise<void> {
    const models = modelId ? [modelId] : [...new Set(this.pending.map((r) => r.modelId))];
    for (const model of models) {
      const receipts = this.pendingOf(model);
      if (receipts.length === 0) continue;
      await this.tracesStored(receipts);
      const batch = this.batchList.length;
      const root = new ReceiptBatch(receipts, this.domain, this.digestOf).root;
      await this.record({ kind: 'posting', batch, root, receipts: receipts.map(keyOf) });
      await this.post(batch, model, root, receipts.length);
    }
  }

  /** Finalizes claims whose window has closed with no dispute open; releases their traces. */
  async closeDue(): Promise<void> {
    const { client, addresses, account } = this.options;
    const posted = this.batches().filter((b) => b.status === 'posted');
    if (posted.length === 0) return;
    // One block read per tick; a claim is read only once its window may have ended (a claim
    // rejected earlier is then found rejected, its traces kept a little longer).
    const chainTime = await this.chainTime();
    for (const b of posted) {
      if (chainTime < (this.windowEnds.get(b.batch) ?? 0n)) continue;
      const claim = (await client.read(addresses.claimRegistry, abi, 'get', [b.claimId])) as {
        status: number;
        windowEndsAt: bigint;
        openDisputes: number;
      };
      this.windowEnds.set(b.batch, claim.windowEndsAt);
      let status: 'finalized' | 'rejected' | undefined;
      if (claim.status === 2) status = 'finalized';
      else if (claim.status === 3) status = 'rejected';
      else if (claim.openDisputes === 0 && chainTime >= claim.windowEndsAt) {
        await client.send(account, addresses.claimRegistry, abi, 'finalize', [b.claimId]);
        status = 'finalized';
      }
      if (!status) continue;
      await this.record({ kind: 'closed', batch: b.batch, status });
      await this.releaseTraces();
    }
    await this.compactIfDue();
  }

  /** Deletes the traces that no receipt of a pending or open batch needs any more. */
  private async releaseTraces(): Promise<void> {
    const needed = new Set(
      [
        ...this.pending,
        ...this.batches().flatMap((b) =>
          b.status === 'finalized' || b.status === 'rejected' ? [] : b.receipts,
        ),
      ].map((r) => r.traceRoot.slice(2).toLowerCase()),
    );
    for (const key of this.traces.keys()) if (!needed.has(key.toLowerCase())) await this.traces.delete(key);
  }

  private async recover(): Promise<void> {
    await this.rebuildLostTraces();
    for (const b of this.batches()) {
      if (b.status !== 'pending') continue;
      // Journaled but maybe not sent, or sent and not recorded: the chain says which.
      const root = new ReceiptBatch(b.receipts, this.domain, this.digestOf).root;
      const claimId = await this.findPosted(root);
      if (claimId !== undefined) await this.record({ kind: 'posted', batch: b.batch, claimId });
      else await this.post(b.batch, b.receipts[0]!.modelId, root, b.receipts.length);
    }
  }

  /** Re-executes, from their journaled inputs, the receipts of open batches whose trace is missing. */
  private async rebuildLostTraces(): Promise<void> {
    const open = new Set(
      this.batches()
        .filter((b) => b.status === 'pending' || b.status === 'posted')
        .flatMap((b) => b.receipts.map(keyOf)),
    );
    for (const key of [...this.pendingKeys, ...open]) {
      const { receipt } = this.byKey.get(key)!;
      if (isOnDemand(receipt)) continue; // its trace is built only if a dispute opens
      if (this.generations.has(key)) continue; // a token tree: its steps are receipts of their own
      if (this.traces.has(receipt.traceRoot.slice(2).toLowerCase())) continue;
      const inputs = this.inputsOf.get(key);
      const model = this.options.models?.(receipt.modelId);
      if (!inputs || !model) {
        throw new Error(
          `the trace of receipt ${receipt.traceRoot} (nonce ${receipt.nonce}) is missing from the store and cannot be rebuilt: ${inputs ? `the claimer was given no model ${receipt.modelId}` : 'its inputs were not journaled'}`,
        );
      }
      const done = await execute(model, decodeInputs(model, inputs), { trace: true });
      const root = toHex(done.trace!.traceRoot);
      if (root.toLowerCase() !== receipt.traceRoot.toLowerCase())
        throw new Error(
          `re-executing receipt ${receipt.traceRoot} from its journaled inputs gave trace ${root}`,
        );
      await saveView(this.traces, { model, values: done.values!, trace: done.trace! });
    }
  }

  private async post(batch: number, modelId: Hex, root: Hex, count: number): Promise<void> {
    const { client, addresses, account } = this.options;
    this.claimBond ??= (await client.read(addresses.claimRegistry, abi, 'claimBond')) as bigint;
    const sent = await client.send(
      account,
      addresses.claimRegistry,
      abi,
      'post',
      [modelId, root, count],
      this.claimBond,
    );
    const claimId = emitted(sent, addresses.claimRegistry, 'ClaimPosted').claimId as bigint;
    await this.record({ kind: 'posted', batch, claimId });
  }

  private async findPosted(root: Hex): Promise<bigint | undefined> {
    const { client, addresses, account } = this.options;
    const logs = (await client.reader.getContractEvents({
      address: addresses.claimRegistry,
      abi,
      eventName: 'ClaimPosted',
      args: { node: account.address },
      fromBlock: 0n,
    } as never)) as unknown as { args: { claimId: bigint; batchRoot: Hex } }[];
    return logs.find((l) => l.args.batchRoot.toLowerCase() === root.toLowerCase())?.args.claimId;
  }

  private pendingOf(modelId: Hex): SignedReceipt[] {
    return this.pending.filter((r) => r.modelId.toLowerCase() === modelId.toLowerCase());
  }

  private async chainTime(): Promise<bigint> {
    return (await this.options.client.reader.getBlock()).timestamp;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
