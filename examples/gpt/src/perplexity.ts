import type { ExecutionBackend, Model } from '@stoa/ir';
import * as ort from 'onnxruntime-node';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './export/onnx-export.js';
import { integerLogits, tokensInput } from './integer-model.js';

/** Sum over positions of −log softmax(logits[t])[target[t]], in nats. */
export function negativeLogLikelihood(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  vocab: number,
): number {
  let total = 0;
  for (let t = 0; t < targets.length; t++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < vocab; j++) max = Math.max(max, logits[t * vocab + j]!);
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[t * vocab + j]! - max);
    total += Math.log(sum) - (logits[t * vocab + targets[t]!]! - max);
  }
  return total;
}

export interface Perplexity {
  readonly perplexity: number;
  /** Mean nats per predicted character. */
  readonly loss: number;
  readonly tokens: number;
}

function summary(nll: number, tokens: number): Perplexity {
  return { perplexity: Math.exp(nll / tokens), loss: nll / tokens, tokens };
}

/** Perplexity of the float ONNX model (onnxruntime float32) on windows of context + 1 ids. */
export async function floatPerplexity(
  onnx: Uint8Array,
  windows: readonly Int32Array[],
  vocab: number,
): Promise<Perplexity> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    let nll = 0;
    let tokens = 0;
    for (const w of windows) {
      const context = w.length - 1;
      const feeds = {
        [ONNX_INPUT_NAME]: new ort.Tensor('int64', BigInt64Array.from(w.subarray(0, context), BigInt), [
          1,
          context,
        ]),
      };
      const logits = (await session.run(feeds))[ONNX_OUTPUT_NAME]!.data as Float32Array;
      nll += negativeLogLikelihood(logits, w.subarray(1), vocab);
      tokens += context;
    }
    return summary(nll, tokens);
  } finally {
    await session.release();
  }
}

/** Perplexity of the integer model, run by `backend` (the reference interpreter or onnxruntime). */
export async function integerPerplexity(
  model: Model,
  backend: ExecutionBackend,
  windows: readonly Int32Array[],
  vocab: number,
): Promise<Perplexity> {
  let nll = 0;
  let tokens = 0;
  for (const w of windows) {
    const context = w.length - 1;
    const { outputs } = await backend.run([tokensInput(model, w.subarray(0, context))]);
    nll += negativeLogLikelihood(integerLogits(model, outputs[0]!), w.subarray(1), vocab);
    tokens += context;
  }
  return summary(nll, tokens);
}
