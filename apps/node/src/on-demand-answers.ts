import type { Claimer } from '@stoa/dispute';
import { onDemandReceipt } from '@stoa/dispute';
import type { IntTensor, Model, ReceiptSigner, SignedReceipt } from '@stoa/ir';
import { MicroBatcher } from './micro-batch.js';

/** Exact inference that returns only the outputs (no trace, no intermediates). */
export interface HotPath {
  run(inputs: IntTensor[]): Promise<IntTensor[]>;
  close?(): Promise<void>;
}

/** Requests answered together at most: the node admits 32 at once, so one batch can hold them all. */
export const MAX_BATCH = 32;

export interface Answered {
  readonly receipt: SignedReceipt;
  readonly outputs: IntTensor[];
  /** What `prepare` made of this answer, if the answering function was given one. */
  readonly prepared?: string;
}

export interface OnDemandAnswersOptions {
  readonly model: Model;
  readonly hotPath: HotPath;
  readonly signer: ReceiptSigner;
  readonly claimer: Claimer;
  /** The nonce of the next receipt (the node continues after the journal's last). */
  readonly nextNonce: () => bigint;
  /** Requests answered together at most (one journal commit each batch). */
  readonly maxBatch: number;
  /** Two batches in flight instead of one (micro-batch.ts); the node itself does not. */
  readonly pipelined?: boolean;
  /**
   * Work on each signed answer that does not need the journal (the node serializes its HTTP
   * answer here): run while the batch's write and fdatasync are in flight, on a main thread
   * that would otherwise wait for them. The answer is still handed back only once committed.
   */
  readonly prepare?: (answered: Answered) => string;
}

/**
 * What an on-demand node does for each inference, minus HTTP: the hot path's exact outputs, a
 * receipt with a zero trace root signed by the node, the receipt and its inputs journaled
 * (fdatasync'd) before the answer is given. Requests that arrive in one turn of the event loop
 * are answered as one batch: their executions start together, and their journal records share
 * one commit (the journal groups the appends of one turn). Each request still gets its own
 * receipt over its own inputs and outputs, computed exactly as alone. The node's load test
 * calls the same function in-process as its baseline.
 */
export function onDemandAnswers(options: OnDemandAnswersOptions): (inputs: IntTensor[]) => Promise<Answered> {
  const { model, hotPath, signer, claimer, nextNonce, prepare } = options;
  const batcher = new MicroBatcher<IntTensor[], Answered>(
    async (batch) => {
      const outputs = await Promise.all(batch.map((inputs) => hotPath.run(inputs)));
      const answered = batch.map((inputs, i) => ({
        receipt: signer.sign(onDemandReceipt(model, inputs, outputs[i]!, signer.address, nextNonce())),
        outputs: outputs[i]!,
      }));
      // Appended in one turn: one write and one fdatasync for the whole batch.
      const committed = Promise.all(
        answered.map((a, i) => claimer.add(a.receipt, { model, inputs: batch[i]! })),
      );
      return prepare ? preparedWhileCommitting(answered, committed, prepare) : committed.then(() => answered);
    },
    options.maxBatch,
    { pipelined: options.pipelined ?? false },
  );
  return (inputs) => batcher.submit(inputs);
}

/**
 * `prepare` applied to each answer while the batch's journal commit runs. The journal starts
 * its write in the next check phase (setImmediate, first in line), so preparing in the
 * immediate after it overlaps the answers' serialization with the write and fdatasync; the
 * answers are handed back only once `committed` resolves.
 */
export async function preparedWhileCommitting(
  answered: readonly Answered[],
  committed: Promise<unknown>,
  prepare: (answered: Answered) => string,
): Promise<Answered[]> {
  committed.catch(() => {}); // awaited below; a failure must not count as unhandled meanwhile
  const prepared = await new Promise<Answered[]>((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(answered.map((a) => ({ ...a, prepared: prepare(a) })));
      } catch (error) {
        reject(error as Error);
      }
    }),
  );
  await committed;
  return prepared;
}
