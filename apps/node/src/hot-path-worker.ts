import { parentPort } from 'node:worker_threads';
import { createHotPathBackend, type HotPathBackend, type IntTensor, type Model } from '@stoa/ir';
import type { HotPathThreadOptions } from './hot-path-thread.js';

/** What the thread's owner sends: the model once, then runs, then close. */
export type ToWorker =
  | { readonly kind: 'open'; readonly model: Model; readonly options: HotPathThreadOptions }
  | { readonly kind: 'run'; readonly runs: readonly { readonly id: number; readonly inputs: IntTensor[] }[] }
  | { readonly kind: 'close' };

/** What the worker answers. */
export type FromWorker =
  | { readonly kind: 'opened'; readonly fallbackSteps: number[] }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'ran'; readonly results: readonly Ran[] };

/** One run's outputs, or why it failed. */
export interface Ran {
  readonly id: number;
  readonly outputs?: IntTensor[];
  readonly error?: string;
}

/**
 * The hot path's worker thread (hot-path-thread.ts starts it): it opens the model's onnxruntime
 * sessions and runs each inference it is sent, in order. onnxruntime-node runs a session
 * synchronously on the calling thread, so here it blocks this thread, not the node's event loop.
 */
const port = parentPort;
if (!port) throw new Error('hot-path-worker.ts runs as a worker thread (hot-path-thread.ts starts it)');
const send = (message: FromWorker) => port.postMessage(message);
let backend: HotPathBackend | undefined;

port.on('message', (message: ToWorker) => {
  if (message.kind === 'open') {
    createHotPathBackend(message.model, message.options).then(
      (opened) => {
        backend = opened;
        send({ kind: 'opened', fallbackSteps: [...opened.fallbackSteps] });
      },
      (error: Error) => send({ kind: 'failed', message: error.message }),
    );
  } else if (message.kind === 'run') {
    // The runs sent together are answered together: one message (and one wake-up of the
    // owner's loop) a batch, not one an inference.
    const current = backend;
    Promise.all(
      message.runs.map(({ id, inputs }): Promise<Ran> | Ran =>
        current
          ? current.run(inputs).then(
              (outputs) => ({ id, outputs }),
              (error: Error) => ({ id, error: error.message }),
            )
          : { id, error: 'the hot path is not open' },
      ),
    ).then((results) => send({ kind: 'ran', results }));
  } else {
    const closing = backend?.close() ?? Promise.resolve();
    backend = undefined;
    closing.finally(() => port.close());
  }
});
