import { divRound, expNeg, saturate } from '../fixed-point.js';
import { frac } from '../graph/types.js';
import { Softmax } from './nonlinear.js';
import type { OpDefinition } from './op.js';

/**
 * CausalSoftmax over the last axis of scores [..., M, N] (N ≥ M, queries are the last M of N
 * positions): row m keeps keys k ≤ m + N − M, which get Softmax's arithmetic over that prefix
 * (e_k = expNeg(x_k − max), y_k = divRound(e_k · 2^fo, Σ e)); later keys are exactly 0.
 * An additive −∞ mask followed by Softmax, without an infinity.
 */
export const CausalSoftmax: OpDefinition = {
  ...Softmax,
  name: 'CausalSoftmax',
  code: 72,
  attrs: {},
  inferShape(inTypes) {
    const shape = inTypes[0]!.shape;
    if (shape.length < 2 || shape.at(-1)! < shape.at(-2)!)
      return `scores must be [..., M, N] with N ≥ M, got [${shape.join(',')}]`;
    return [...shape];
  },
  kernel({ inputs, inTypes, outType }, out, start, end) {
    const x = inputs[0]!;
    const [M, N] = [inTypes[0]!.shape.at(-2)!, inTypes[0]!.shape.at(-1)!];
    const fi = frac(inTypes[0]!);
    const scale = 2 ** frac(outType);
    const e = new Float64Array(N);
    for (let r = Math.floor(start / N) * N; r < end; r += N) {
      const visible = ((r / N) % M) + N - M + 1;
      let max = x[r]!;
      for (let k = 1; k < visible; k++) max = Math.max(max, x[r + k]!);
      let sum = 0;
      for (let k = 0; k < visible; k++) {
        e[k] = expNeg(x[r + k]! - max, fi);
        sum += e[k]!;
      }
      for (let k = Math.max(0, start - r); k < N && r + k < end; k++) {
        out[r + k] = k < visible ? saturate(divRound(e[k]! * scale, sum), outType.dtype) : 0;
      }
    }
  },
};
