import { divRound, requantize } from '../fixed-point.js';
import { frac, type TensorType } from '../graph/types.js';
import { formatShape, sameShape } from '../tensor.js';
import { sameTypeProblems } from './elementwise.js';
import { INTERMEDIATE_LIMIT, maxAbsOf, type OpDefinition, perTensorProblems } from './op.js';

/**
 * The ops attention blocks need beyond the CNN set (added for PP-OCRv4's recognizer, SVTR):
 * a product of two activations and a mean over the last axis. docs/semantics.md §3.
 */

const activationDtypes = (types: readonly TensorType[], labels: readonly string[]) =>
  types.flatMap((t, i) => (t.dtype === 'i32' ? [`${labels[i]} must be i8 or i16`] : []));

/**
 * BatchMatMul : a [B..., M, K], b [B..., K, N] → y [B..., M, N], both activations (the same
 * batch dimensions, no broadcasting): y = requantize(Σₖ a[.., m, k] · b[.., k, n], fa + fb, fo, do).
 */
export const BatchMatMul: OpDefinition = {
  name: 'BatchMatMul',
  code: 22,
  minInputs: 2,
  maxInputs: 2,
  attrs: {},
  inferShape(inTypes) {
    const [a, b] = [inTypes[0]!.shape, inTypes[1]!.shape];
    const rank = a.length;
    if (rank < 2 || b.length !== rank)
      return `inputs must have the same rank ≥ 2, got ${formatShape(a)} and ${formatShape(b)}`;
    if (!sameShape(a.slice(0, -2), b.slice(0, -2)))
      return `batch dimensions differ: ${formatShape(a)} and ${formatShape(b)}`;
    if (a[rank - 1] !== b[rank - 2]) return `inner dimensions differ: ${formatShape(a)} × ${formatShape(b)}`;
    return [...a.slice(0, -1), b[rank - 1]!];
  },
  check({ inTypes, outType }) {
    const labels = ['input 0', 'input 1', 'the output'];
    const problems = perTensorProblems([...inTypes, outType], labels);
    if (problems.length > 0) return problems;
    problems.push(...activationDtypes(inTypes, labels));
    const K = inTypes[0]!.shape.at(-1)!;
    const bound = K * maxAbsOf(inTypes[0]!, undefined) * maxAbsOf(inTypes[1]!, undefined);
    if (bound >= INTERMEDIATE_LIMIT) problems.push(`the accumulator may reach ${bound}, over 2^47`);
    return problems;
  },
  elementWork: (inTypes) => inTypes[0]!.shape.at(-1)!,
  tileGranule: () => 1,
  kernel({ inputs, inTypes, outType }, out, start, end) {
    const [a, b] = inputs as [Int32Array, Int32Array];
    const shape = inTypes[0]!.shape;
    const [M, K] = [shape.at(-2)!, shape.at(-1)!];
    const N = inTypes[1]!.shape.at(-1)!;
    const accFrac = frac(inTypes[0]!) + frac(inTypes[1]!);
    for (let i = start; i < end; i++) {
      const n = i % N;
      const row = Math.floor(i / N); // batch · M + m
      const batch = Math.floor(row / M);
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a[row * K + k]! * b[(batch * K + k) * N + n]!;
      out[i] = requantize(acc, accFrac, frac(outType), outType.dtype);
    }
  },
};

/** ReduceMean over the last axis, kept as size 1: y = divRound(Σ x, L); output type = input's. */
export const ReduceMean: OpDefinition = {
  name: 'ReduceMean',
  code: 33,
  minInputs: 1,
  maxInputs: 1,
  attrs: {},
  inferShape(inTypes) {
    const x = inTypes[0]!.shape;
    if (x.length < 1) return 'the input must have rank ≥ 1';
    return [...x.slice(0, -1), 1];
  },
  check({ inTypes, outType }) {
    const problems = perTensorProblems([inTypes[0]!, outType], ['the input', 'the output']);
    return problems.length > 0
      ? problems
      : sameTypeProblems({ ...inTypes[0]!, shape: outType.shape }, outType);
  },
  elementWork: (inTypes) => inTypes[0]!.shape.at(-1)!,
  tileGranule: () => 1,
  kernel({ inputs, inTypes }, out, start, end) {
    const x = inputs[0]!;
    const L = inTypes[0]!.shape.at(-1)!;
    for (let r = start; r < end; r++) {
      let sum = 0;
      for (let k = r * L; k < (r + 1) * L; k++) sum += x[k]!;
      out[r] = divRound(sum, L);
    }
  },
};
