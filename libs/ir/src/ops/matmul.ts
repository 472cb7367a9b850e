import { requantize } from '../fixed-point.js';
import { channelFrac, frac } from '../graph/types.js';
import { formatShape } from '../tensor.js';
import { accumulatorProblems } from './accumulate.js';
import type { OpDefinition } from './op.js';

/**
 * y[..., n] = requantize(Σ_k a[..., k] · b[n, k] + bias[n]). The weights are stored [N, K] so
 * that the weights of one output are contiguous (cheap to open in a dispute).
 */
export const MatMul: OpDefinition = {
  name: 'MatMul',
  code: 20,
  minInputs: 2,
  maxInputs: 3,
  attrs: {},
  inferShape(inTypes) {
    const [a, b, bias] = inTypes;
    if (a!.shape.length < 1) return 'input 0 must have rank >= 1';
    if (b!.shape.length !== 2) return `input 1 (weights) must be [N, K], got ${formatShape(b!.shape)}`;
    const k = a!.shape[a!.shape.length - 1]!;
    const [n, kb] = b!.shape as [number, number];
    if (k !== kb)
      return `inner dimensions differ: input 0 ${formatShape(a!.shape)} has K=${k}, weights [N,K]=${formatShape(b!.shape)} have K=${kb}`;
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== n)) {
      return `bias must be [${n}], got ${formatShape(bias.shape)}`;
    }
    return [...a!.shape.slice(0, -1), n];
  },
  check({ inTypes, outType, constants }) {
    const [n, k] = inTypes[1]!.shape as [number, number];
    return accumulatorProblems(inTypes, outType, constants, n, k);
  },
  elementWork: (inTypes) => inTypes[1]!.shape[1]!,
  tileGranule: () => 1,
  kernel({ inputs, inTypes, outType }, out, start, end) {
    const [a, b, bias] = inputs as [Int32Array, Int32Array, Int32Array | undefined];
    const [n, k] = inTypes[1]!.shape as [number, number];
    const fa = frac(inTypes[0]!);
    const fo = frac(outType);
    const accFrac = Array.from({ length: n }, (_, c) => fa + channelFrac(inTypes[1]!, c));
    for (let i = start; i < end; i++) {
      const row = Math.floor(i / n);
      const col = i - row * n;
      const aBase = row * k;
      const bBase = col * k;
      let acc = bias ? bias[col]! : 0;
      for (let j = 0; j < k; j++) acc += a[aBase + j]! * b[bBase + j]!;
      out[i] = requantize(acc, accFrac[col]!, fo, outType.dtype);
    }
  },
};
