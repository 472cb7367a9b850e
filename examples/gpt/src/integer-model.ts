import {
  dequantizeOutput,
  type ImportResult,
  type IntTensor,
  importOnnx,
  type Model,
  quantizeInput,
} from '@stoa/ir';
import type { Tokenizer } from './data/tokenizer.js';

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

/** The last `context` of token ids `all`, right-padded with 0, and how many of them are real. */
export function windowOf(all: ArrayLike<number>, context: number): { ids: Int32Array; length: number } {
  const start = Math.max(0, all.length - context);
  const ids = new Int32Array(context);
  for (let k = start; k < all.length; k++) ids[k - start] = all[k]!;
  return { ids, length: all.length - start };
}

/** Fractional bits of the integer logits (a per-tensor scale: the sampler reads them). */
export function logitsFrac(model: Model): number {
  const f = model.graph.nodeTypes[model.graph.outputs[0]!]!.frac;
  if (typeof f !== 'number') throw new Error('the logits need a per-tensor scale for sampling');
  return f;
}
