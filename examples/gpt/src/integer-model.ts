import {
  dequantizeOutput,
  type ImportResult,
  type IntTensor,
  importOnnx,
  type Model,
  quantizeInput,
  windowOf,
} from '@stoa/ir';
import { corpus } from './data/corpus.js';
import type { Tokenizer } from './data/tokenizer.js';

/**
 * The calibration the GPT is imported with in tests and examples: two 64-token windows of the
 * training text, 10,000 tokens in.
 */
export function trainingCalibration(tokenizer: Tokenizer): Int32Array[] {
  return windows(tokenizer.encode(corpus('train')), 64, 2, 10_000).map((w) => w.subarray(0, 64));
}

/** Windows of `context` token ids from `tokens`, `count` of them, consecutive from `offset`. */
export function windows(tokens: Int32Array, context: number, count: number, offset = 0): Int32Array[] {
  const out: Int32Array[] = [];
  for (let w = 0; w < count; w++) {
    const start = offset + w * context;
    if (start + context + 1 > tokens.length) break;
    out.push(tokens.slice(start, start + context + 1));
  }
  return out;
}

/**
 * The GPT's ONNX imported into Stoa's integer op set with i16 activations, calibrated on
 * `calibration` windows (each `context` token ids).
 */
export function importGpt(onnx: Uint8Array, calibration: readonly ArrayLike<number>[]): ImportResult {
  return importOnnx(onnx, {
    name: 'gpt',
    label: 'gpt.onnx',
    activationDtype: 'i16',
    calibration: calibration.map((w) => [w]),
  });
}

/** The integer model's input for one window of token ids. */
export function tokensInput(model: Model, tokens: ArrayLike<number>): IntTensor {
  return quantizeInput(model.graph, 0, tokens);
}

/** Logits [T, vocab] as floats from the integer model's output. */
export function integerLogits(model: Model, output: IntTensor): Float64Array {
  return dequantizeOutput(model.graph, 0, output);
}

/** Encodes `text` into exactly `context` ids: the last `context` characters, right-padded with 0. */
export function window(
  tokenizer: Tokenizer,
  text: string,
  context: number,
): { ids: Int32Array; length: number } {
  return windowOf(tokenizer.encode(text), context);
}

export { logitsFrac, windowOf } from '@stoa/ir';
