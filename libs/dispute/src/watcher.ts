import { join } from 'node:path';
import {
  type ChainClient,
  claimRegistryArtifact,
  disputeGameArtifact,
  type ExecutionView,
  type StoaAddresses,
} from '@stoa/contracts';
import { type IntTensor, type Model, type SignedReceipt, sha256, TraceStore } from '@stoa/ir';
import type { Hex, PrivateKeyAccount } from 'viem';
import { checkReceipt, openChallenge } from './challenger.js';
import { Journal } from './journal.js';
import { DisputePlayer } from './player.js';
import { loadView, saveView } from './views.js';

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
/** How many polls a claim whose receipts or inputs the node cannot serve yet is retried. */
const RETRIES = 50;

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

  private constructor(
    private readonly options: WatcherOptions,
    private readonly journal: Journal<Record_>,
    private readonly traces: TraceStore,
  ) {}

  /** Opens the watcher's store and resumes the disputes it was playing when it stopped. */
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
          await this.inspect(log.args.claimId, log.args.modelId, 0);
        }
      }
      this.nextBlock = latest + 1n;
      await this.journal.append({ kind: 'cursor', block: this.nextBlock });
    }
    for (const [claimId, { modelId, attempts }] of [...this.retry]) {
      this.retry.delete(claimId);
      await this.inspect(claimId, modelId, attempts);
    }
    for (const entry of [...this.active]) {
      const result = await entry.player.step();
      if (result.kind !== 'over') continue;
      this.active.splice(this.active.indexOf(entry), 1);
      await this.journal.append({ kind: 'ended', disputeId: entry.disputeId, won: result.won });
      if (result.won) this.counts.disputesWon++;
      else this.counts.disputesLost++;
    }
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

  private async inspect(claimId: bigint, modelId: Hex, attempts: number): Promise<void> {
    const { source, addresses } = this.options;
    const model = this.options.models(modelId);
    if (!model) {
      this.counts.unverifiable++;
      return;
    }
    const receipts = await source.receipts(claimId);
    if (!receipts) {
      if (attempts + 1 < RETRIES) this.retry.set(claimId, { modelId, attempts: attempts + 1 });
      else this.counts.unverifiable++;
      return;
    }
    const domain = { chainId: addresses.chainId, verifyingContract: addresses.claimRegistry };
    for (const [index, receipt] of receipts.entries()) {
      const inputs = await source.inputs(receipt);
      if (!inputs) {
        this.counts.unverifiable++;
        continue;
      }
      this.counts.receiptsChecked++;
      const verdict = await checkReceipt(model, receipt, inputs, domain);
      if (verdict.ok || !verdict.view) {
        if (!verdict.ok) this.counts.unverifiable++;
        continue;
      }
      this.counts.faultsFound++;
      this.findings.push({ claimId, index, reason: verdict.reason });
      // The execution is stored before the dispute opens, so a restart can always resume it; a
      // dispute opened just before a crash (not yet journaled) is found on chain, not reopened.
      const viewKey = await saveView(this.traces, verdict.view);
      const disputeId =
        (await this.openedBefore(claimId)) ??
        (await openChallenge({ ...this.options, claimId, receipts, index, view: verdict.view })).options
          .disputeId;
      await this.journal.append({ kind: 'dispute', disputeId, modelId, viewKey });
      this.counts.disputesOpened++;
      this.track(disputeId, verdict.view);
      return; // one dispute rejects the claim; the rest of the batch goes with it
    }
  }
}
