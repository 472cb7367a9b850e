import { mkdirSync } from 'node:fs';
import type { ReceiptRow, UsageCell } from '@stoa/sdk';
import type { GatewayStore } from '../store/gateway-store.js';
import { type SpooledBatch, type UsageEvent, UsageSpool } from './spool.js';

/**
 * Metering: every answered request is spooled before its answer leaves, and every `flushMs` the
 * spool's new events go to the database as one batch, aggregated per key, model, network and
 * node, together with the receipts they returned (one transaction of multi-row INSERTs on the
 * gateway's own connection, on a worker thread: the event loop only cuts the batch). Leftover spools of a crashed run are
 * replayed at start (idempotently, by batch id) and then removed.
 */
export class Meter {
  private readonly spool: UsageSpool;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Receipts spooled but not yet in the database, by request id. */
  private readonly recent = new Map<string, UsageEvent>();

  constructor(
    private readonly store: GatewayStore,
    private readonly dir: string,
    name: string,
    private readonly flushMs = 500,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true });
    this.spool = new UsageSpool(dir, name, (event) => {
      if (event.receipt) this.recent.set(event.requestId, event);
    });
  }

  /** Replays what earlier runs left, then flushes every `flushMs`. Returns the batches replayed. */
  async start(): Promise<number> {
    let replayed = 0;
    for (const { file, batches } of UsageSpool.leftovers(this.dir, this.spool.name)) {
      for (const batch of batches) if (await this.write(batch)) replayed++;
      UsageSpool.remove(file);
    }
    const loop = () => {
      this.timer = setTimeout(() => void this.flush().finally(loop), this.flushMs);
      this.timer.unref();
    };
    loop();
    return replayed;
  }

  /** Spools `event` at once (one write(2)); throws if it cannot be written. */
  record(event: UsageEvent): void {
    this.spool.append(event);
  }

  /**
   * Spools `event` with the others recorded in this run of the microtask queue, in one write(2)
   * (UsageSpool.appendInTurn): await it before the answer leaves. The inference route's way: the
   * answers of one coalesced node batch resume together and their usage lines go out together.
   */
  recordInTurn(event: UsageEvent): Promise<void> {
    return this.spool.appendInTurn(event);
  }

  /** A receipt returned recently, before its batch reached the database. */
  recentReceipt(requestId: string): UsageEvent | undefined {
    return this.recent.get(requestId);
  }

  /** Writes everything spooled so far (serialised with the timer's flushes). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.spool.cut();
      if (!batch) return;
      for (;;) {
        try {
          await this.write(batch);
          break;
        } catch (error) {
          // The database is away: the batch keeps its id and is retried, nothing is dropped.
          this.onError(error);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      this.spool.committed(batch);
      for (const e of batch.events) this.recent.delete(e.requestId);
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
    this.spool.close();
  }

  private write(batch: SpooledBatch): Promise<boolean> {
    return this.store.writeUsageBatch(batch.id, cellsOf(batch.events), receiptsOf(batch.events));
  }
}

function cellsOf(events: readonly UsageEvent[]): UsageCell[] {
  const cells = new Map<string, UsageCell>();
  for (const e of events) {
    const id = [e.keyId, e.modelId, e.network, e.node].join('\u0000');
    const c = cells.get(id);
    cells.set(id, {
      keyId: e.keyId,
      modelId: e.modelId,
      network: e.network,
      node: e.node,
      requests: (c?.requests ?? 0) + 1,
      errors: (c?.errors ?? 0) + (e.ok ? 0 : 1),
      computeOps: (c?.computeOps ?? 0n) + BigInt(e.computeOps),
      latencyMs: (c?.latencyMs ?? 0) + e.latencyMs,
      costWei: (c?.costWei ?? 0n) + BigInt(e.costWei),
      periodStart: c?.periodStart ?? new Date(Math.floor(e.at / 60_000) * 60_000),
    });
  }
  return [...cells.values()];
}

function receiptsOf(events: readonly UsageEvent[]): ReceiptRow[] {
  return events
    .filter((e) => e.receipt)
    .map((e) => ({
      id: e.requestId,
      keyId: e.keyId,
      deploymentId: e.deploymentId,
      modelId: e.modelId,
      network: e.network,
      node: e.node,
      replicaUrl: e.replicaUrl,
      receipt: e.receipt!,
    }));
}
