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

  constructor(
    private readonly process: (items: readonly In[]) => Promise<readonly Out[]>,
    private readonly maxBatch: number,
  ) {
    if (!(maxBatch >= 1)) throw new Error(`maxBatch must be at least 1, got ${maxBatch}`);
  }

  submit(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.run();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  private run(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
    if (batch.length === 0) return;
    const fail = (error: Error) => {
      for (const b of batch) b.reject(error);
    };
    this.process(batch.map((b) => b.item)).then((outs) => {
      if (outs.length !== batch.length)
        fail(new Error(`a batch of ${batch.length} gave ${outs.length} results`));
      else for (const [i, b] of batch.entries()) b.resolve(outs[i]!);
    }, fail);
  }
}
