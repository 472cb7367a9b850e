import { divRound, requantize, saturate } from '../fixed-point.js';
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

/** floor(√n) for an integer 0 ≤ n < 2^52 (exact: the double root is corrected by at most one). */
export function isqrt(n: number): number {
  let r = Math.floor(Math.sqrt(n));
  if (r * r > n) r -= 1;
  if ((r + 1) * (r + 1) <= n) r += 1;
  return r;
}

/**
 * LayerNorm over the last axis (no affine part; γ and β stay Mul and Add), per row of L:
 * S = Σ x, d_k = L·x_k − S, V = Σ d_k², s = isqrt(⌊(V + epsilon) / L⌋),
 * y_k = saturate(divRound(d_k · 2^fo, s)). `epsilon` ≥ L is ε·L³·2^(2·fx) rounded.
 * Computed as ⌊(V + epsilon) / L⌋ = L·Σ x² − S² + ⌊epsilon / L⌋ (V = L·(L·Σ x² − S²) exactly),
 * whose terms stay below L²·max|x|²: i16 rows of PP-OCRv4's 120 fit the exact-double bound.
 */
export const LayerNorm: OpDefinition = {
  name: 'LayerNorm',
  code: 54,
  minInputs: 1,
  maxInputs: 1,
  attrs: { epsilon: { kind: 'int' } },
  inferShape: (inTypes) => [...inTypes[0]!.shape],
  check({ inTypes, outType, attrs }) {
    const problems = perTensorProblems([inTypes[0]!, outType], ['the input', 'the output']);
    if (problems.length > 0) return problems;
    problems.push(...activationDtypes([inTypes[0]!, outType], ['the input', 'the output']));
    const L = inTypes[0]!.shape.at(-1)!;
    const epsilon = attrs.epsilon as number;
    if (!(epsilon >= L)) problems.push(`epsilon ${epsilon} must be at least the row length ${L}`);
    const max = maxAbsOf(inTypes[0]!, undefined);
    const bound = L * L * max * max + epsilon;
    if (bound >= LAYER_NORM_LIMIT) problems.push(`L·Σ x² + epsilon may reach ${bound}, over 2^52`);
    if (frac(outType) < 0) problems.push(`the output frac ${frac(outType)} must be ≥ 0`);
    else if (4 * L * max * 2 ** frac(outType) >= LAYER_NORM_LIMIT)
      problems.push(
        `d·2^fo may reach ${4 * L * max * 2 ** frac(outType)}, over 2^52 (output frac too large)`,
      );
    return problems;
  },
  elementWork: () => 3,
  tileGranule: (inTypes) => inTypes[0]!.shape.at(-1)!,
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const x = inputs[0]!;
    const L = inTypes[0]!.shape.at(-1)!;
    const scale = 2 ** frac(outType);
    const epsilon = attrs.epsilon as number;
    const d = new Float64Array(L);
    // A partial range still computes whole rows' statistics and writes its part.
    for (let r = Math.floor(start / L) * L; r < end; r += L) {
      let [sum, squares] = [0, 0];
      for (let k = 0; k < L; k++) {
        sum += x[r + k]!;
        squares += x[r + k]! * x[r + k]!;
      }
      for (let k = 0; k < L; k++) d[k] = L * x[r + k]! - sum;
      const s = isqrt(L * squares - sum * sum + Math.floor(epsilon / L));
      for (let k = Math.max(0, start - r); k < L && r + k < end; k++)
        out[r + k] = saturate(divRound(d[k]! * scale, s), outType.dtype);
    }
  },
};

/** LayerNorm's L·Σ x² + epsilon stays below 2^52, where double arithmetic on integers is exact. */
export const LAYER_NORM_LIMIT = 2 ** 52;
