import { sizeOf } from '../tensor.js';
import type { FloatOp } from './float-op.js';

/**
 * Float semantics of the ops text generation adds (float64): Gather (axis 0), GELU in the
 * tanh form ONNX calls approximate='tanh', and the causal softmax that import fuses from an
 * additive mask followed by Softmax.
 */

const gather: FloatOp = {
  shape([table, indices], node) {
    const axis = node.attrs.axis ?? 0;
    if (axis !== 0) return `only axis 0 is supported, got ${String(axis)}`;
    return [...indices!, ...table!.slice(1)];
  },
  run([table, indices]) {
    const rows = table!.shape[0]!;
    const row = sizeOf(table!.shape.slice(1));
    const out = new Float64Array(indices!.data.length * row);
    indices!.data.forEach((v, i) => {
      const index = v < 0 ? v + rows : v;
      if (!Number.isInteger(index) || index < 0 || index >= rows)
        throw new RangeError(`Gather: index ${v} at position ${i} is outside [0, ${rows})`);
      out.set(table!.data.subarray(index * row, (index + 1) * row), i * row);
    });
    return out;
  },
};

const GELU_C = Math.sqrt(2 / Math.PI);

/** ONNX Gelu: x·Φ(x) by default, the tanh form when approximate = 'tanh'. */
const gelu: FloatOp = {
  shape([x], node) {
    const approximate = node.attrs.approximate ?? 'none';
    return approximate === 'tanh'
      ? [...x!]
      : `only approximate='tanh' is supported, got '${String(approximate)}'`;
  },
  run: ([x]) => x!.data.map((v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)))),
};

/** Softmax over the last axis of [..., M, N], row m seeing keys k ≤ m + N − M; the rest are 0. */
const causalSoftmax: FloatOp = {
  shape: ([x]) => [...x!],
  run([x]) {
    const [M, N] = [x!.shape.at(-2)!, x!.shape.at(-1)!];
    const out = new Float64Array(x!.data.length);
    for (let r = 0; r < out.length; r += N) {
      const visible = ((r / N) % M) + N - M + 1;
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < visible; k++) max = Math.max(max, x!.data[r + k]!);
      let sum = 0;
      for (let k = 0; k < visible; k++) sum += out[r + k] = Math.exp(x!.data[r + k]! - max);
      for (let k = 0; k < visible; k++) out[r + k]! /= sum;
    }
    return out;
  },
};

export const TEXT_FLOAT_OPS: Readonly<Record<string, FloatOp>> = {
  Gather: gather,
  Gelu: gelu,
  CausalSoftmax: causalSoftmax,
};
