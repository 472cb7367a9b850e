import type { Claimer } from '@stoa/dispute';
import type { Serial } from './serial.js';

/**
 * Posts full batches in the background, off the request path: called after each answer, it
 * queues one `postFull` (serialized with the node's other claimer work) once `batchSize`
 * receipts are pending, and no second one while that is queued or running. `posted` is told how
 * many claims each posting made; `failed` why one failed (the node's next tick retries).
 */
export function postWhenFull(options: {
  readonly claimer: Claimer;
  readonly batchSize: number;
  readonly serial: Serial;
  readonly posted: (claims: number) => void;
  readonly failed: (error: Error) => void;
}): () => void {
  const { claimer, serial } = options;
  let queued = false;
  return () => {
    if (queued || claimer.pendingCount < options.batchSize) return;
    queued = true;
    void serial
      .run(async () => {
        const before = claimer.batchCount;
        await claimer.postFull();
        options.posted(claimer.batchCount - before);
      })
      .catch(options.failed)
      .finally(() => {
        queued = false;
      });
  };
}
