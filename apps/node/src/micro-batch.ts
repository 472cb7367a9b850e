/** How a MicroBatcher sizes its batches. */
export interface MicroBatcherOptions {
  /**
   * Keep two batches in flight instead of one: a batch takes at most half of the outstanding
   * items (in flight plus queued, rounded up), and what is left goes one turn later. Closed-loop
   * callers answered together submit together, so without this they move in lockstep — one
   * batch out, the caller idle while it is out, the server idle while the caller works; with
   * it, two groups alternate and one's processing overlaps the other's round trip
   * (docs/decisions.md, "two batches in flight").
   */
  readonly pipelined?: boolean;
  /**
   * With `pipelined`, a batch is never cut below this many items (default 1): what is
   * outstanding is split in two only when each half holds at least this many. The gateway's
   * coalescer keeps 4 (apps/gateway routing/coalesce.ts `MIN_SPLIT_BATCH`): a turn of 4 goes
   * whole, 16 go as 8 + 8, since each batch has costs of its own that two items do not repay.
   */
  readonly minSplit?: number;
}

/**
 * Gathers the items submitted during one turn of the event loop (at most `maxBatch`; a full
 * batch goes at once) and hands them to `process` together; each submitter gets its own
 * result back, or the error that failed the batch. A node answering concurrent requests uses it
 * so that their executions, signatures and journal records go through as one batch: one
 * journal commit instead of one per request (docs/decisions.md, "The node keeps up, batched").
 */
export class MicroBatcher<In, Out> {
  private queue: { item: In; resolve: (out: Out) => void; reject: (error: Error) => void }[] = [];
  private scheduled = false;
  /** Items handed to `process` whose batch has not settled yet. */
  private inFlight = 0;

  constructor(
    private readonly process: (items: readonly In[]) => Promise<readonly Out[]>,
    private readonly maxBatch: number,
    private readonly options: MicroBatcherOptions = {},
  ) {
    if (!(maxBatch >= 1)) throw new Error(`maxBatch must be at least 1, got ${maxBatch}`);
    const { minSplit = 1 } = options;
    if (!(Number.isInteger(minSplit) && minSplit >= 1))
      throw new Error(`minSplit must be an integer of at least 1, got ${minSplit}`);
  }

  submit(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.run();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  /** Items the next batch takes at most. */
  private nextSize(): number {
    if (!this.options.pipelined) return this.maxBatch;
    const half = Math.ceil((this.inFlight + this.queue.length) / 2);
    return Math.min(this.maxBatch, Math.max(this.options.minSplit ?? 1, half));
  }

  private run(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.nextSize());
    if (this.queue.length > 0) this.schedule();
    if (batch.length === 0) return;
    const fail = (error: Error) => {
      for (const b of batch) b.reject(error);
    };
    this.inFlight += batch.length;
    const settled = () => {
      this.inFlight -= batch.length;
    };
    this.process(batch.map((b) => b.item))
      .finally(settled)
      .then((outs) => {
        if (outs.length !== batch.length)
          fail(new Error(`a batch of ${batch.length} gave ${outs.length} results`));
        else for (const [i, b] of batch.entries()) b.resolve(outs[i]!);
      }, fail);
  }
}
