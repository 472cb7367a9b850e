import { divRound, EXP_FRAC, expNeg, saturate } from '../fixed-point.js';
import { frac, type TensorType } from '../graph/types.js';
import { SOFTMAX_MAX_ROW } from './nonlinear.js';
import { intAttr, type OpDefinition, perTensorProblems } from './op.js';

/**
 * Softmax rows longer than this are split by the importer into SegmentMax, SoftmaxSegmentSum
 * and SoftmaxNormalize: one Softmax tile is a whole row, and a row of 6,625 (PP-OCRv4's CTC
 * head) costs 7.6M kernel gas on-chain; segments of this many values keep every tile of the
 * three steps under the 300k budget: 512 was measured at 399k kernel gas for one segment's sum
 * on the recognizer (docs/decisions.md).
 */
export const SOFTMAX_SEGMENT = 256;

function segmentOf(attrs: Parameters<OpDefinition['inferShape']>[1], row: number): number {
  return Math.min(intAttr(attrs, 'segment'), row);
}

/** The segment attribute's problems, or the number of segments of a row of `row` values. */
function segments(attrs: Parameters<OpDefinition['inferShape']>[1], row: number): number | string {
  const segment = intAttr(attrs, 'segment');
  if (segment < 1 || segment > SOFTMAX_MAX_ROW)
    return `segment ${segment} must be within [1, ${SOFTMAX_MAX_ROW}]`;
  return Math.ceil(row / segment);
}

function activationProblems(x: TensorType, label: string): string[] {
  const problems = perTensorProblems([x], [label]);
  if (x.dtype === 'i32') problems.push(`${label} must be i8 or i16 (exp arguments are bounded)`);
  return problems;
}

function rowProblems(x: TensorType): string[] {
  const row = x.shape.at(-1)!;
  return row > SOFTMAX_MAX_ROW ? [`rows of ${row} values exceed the ${SOFTMAX_MAX_ROW} limit`] : [];
}

/** Problems of the segment maxima m (and sums s) of x: same leading axes, J segments, x's type. */
function segmentInputProblems(inTypes: readonly TensorType[]): string[] {
  const [x, m, s] = inTypes as [TensorType, TensorType, TensorType | undefined];
  const problems = [...activationProblems(x, 'the input'), ...rowProblems(x)];
  const lead = x.shape.slice(0, -1).join(',');
  const sameLead = (t: TensorType) =>
    t.shape.length === x.shape.length && t.shape.slice(0, -1).join(',') === lead;
  if (!sameLead(m)) problems.push(`the segment maxima [${m.shape.join(',')}] must be [${lead},J]`);
  if (m.dtype !== x.dtype || m.frac !== x.frac)
    problems.push("the segment maxima must have the input's dtype and frac");
  if (s) {
    if (!sameLead(s) || s.shape.at(-1) !== m.shape.at(-1))
      problems.push(`the segment sums [${s.shape.join(',')}] must be [${m.shape.join(',')}]`);
    if (s.dtype !== 'i32' || s.frac !== EXP_FRAC)
      problems.push(`the segment sums must be i32 with frac ${EXP_FRAC}`);
  }
  return problems;
}

/** max_j m[r, j]: the row's maximum when m holds its segment maxima. */
function rowMax(m: Int32Array, r: number, J: number): number {
  let max = m[r * J]!;
  for (let j = 1; j < J; j++) max = Math.max(max, m[r * J + j]!);
  return max;
}

/**
 * SegmentMax over the last axis in segments of `segment` values: out[r, j] = max of
 * x[r, j·S .. min(L, (j+1)·S)), S = min(segment, L); output [..., ⌈L/S⌉] of the input's type.
 */
export const SegmentMax: OpDefinition = {
  name: 'SegmentMax',
  code: 55,
  minInputs: 1,
  maxInputs: 1,
  attrs: { segment: { kind: 'int' } },
  inferShape(inTypes, attrs) {
    const x = inTypes[0]!.shape;
    if (x.length < 1) return 'the input must have rank ≥ 1';
    const J = segments(attrs, x.at(-1)!);
    return typeof J === 'string' ? J : [...x.slice(0, -1), J];
  },
  check({ inTypes, outType }) {
    const x = inTypes[0]!;
    const problems = activationProblems(x, 'the input');
    if (outType.dtype !== x.dtype || outType.frac !== x.frac)
      problems.push("the output must have the input's type");
    return problems;
  },
  elementWork: (inTypes, _out, attrs) => segmentOf(attrs, inTypes[0]!.shape.at(-1)!),
  tileGranule: () => 1,
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const x = inputs[0]!;
    const L = inTypes[0]!.shape.at(-1)!;
    const S = segmentOf(attrs, L);
    const J = outType.shape.at(-1)!;
    for (let i = start; i < end; i++) {
      const [from, to] = segmentRange(i, J, L, S);
      let max = x[from]!;
      for (let k = from + 1; k < to; k++) max = Math.max(max, x[k]!);
      out[i] = max;
    }
  },
};

/**
 * SoftmaxSegmentSum(x, m): out[r, j] = Σ expNeg(min(0, x_k − M_r), fx) over segment j of row r
 * (segments as SegmentMax's), M_r = max_j m[r, j]; i32 at frac 16. With m = SegmentMax(x), M_r is
 * the row's maximum and the min(0, ·) never applies; it keeps the op total on any inputs.
 */
export const SoftmaxSegmentSum: OpDefinition = {
  name: 'SoftmaxSegmentSum',
  code: 56,
  minInputs: 2,
  maxInputs: 2,
  attrs: { segment: { kind: 'int' } },
  inferShape(inTypes, attrs) {
    const [x, m] = [inTypes[0]!.shape, inTypes[1]!.shape];
    if (x.length < 1) return 'the input must have rank ≥ 1';
    const J = segments(attrs, x.at(-1)!);
    if (typeof J === 'string') return J;
    if (m.at(-1) !== J) return `the segment maxima [${m.join(',')}] must have ${J} segments on the last axis`;
    return [...x.slice(0, -1), J];
  },
  check({ inTypes, outType }) {
    const problems = segmentInputProblems(inTypes);
    if (outType.dtype !== 'i32' || outType.frac !== EXP_FRAC)
      problems.push(`the output must be i32 with frac ${EXP_FRAC}`);
    return problems;
  },
  elementWork: (inTypes, _out, attrs) =>
    segmentOf(attrs, inTypes[0]!.shape.at(-1)!) + inTypes[1]!.shape.at(-1)!,
  tileGranule: () => 1,
  kernel({ inputs, inTypes, attrs }, out, start, end) {
    const [x, m] = inputs as [Int32Array, Int32Array];
    const L = inTypes[0]!.shape.at(-1)!;
    const fx = frac(inTypes[0]!);
    const S = segmentOf(attrs, L);
    const J = inTypes[1]!.shape.at(-1)!;
    for (let i = start; i < end; i++) {
      const [from, to, r] = segmentRange(i, J, L, S);
      const max = rowMax(m, r, J);
      let sum = 0;
      for (let k = from; k < to; k++) {
        sum += expNeg(Math.min(0, x[k]! - max), fx);
      }
      out[i] = sum;
    }
  },
};

/**
 * SoftmaxNormalize(x, m, s): y_k = saturate(divRound(expNeg(min(0, x_k − M_r), fx) · 2^fo, Σ_r)),
 * M_r = max_j m[r, j], Σ_r = max(1, Σ_j s[r, j]). With m = SegmentMax(x) and
 * s = SoftmaxSegmentSum(x, m) it is Softmax(x), integer for integer.
 */
export const SoftmaxNormalize: OpDefinition = {
  name: 'SoftmaxNormalize',
  code: 57,
  minInputs: 3,
  maxInputs: 3,
  attrs: {},
  inferShape(inTypes) {
    const x = inTypes[0]!.shape;
    if (x.length < 1) return 'the input must have rank ≥ 1';
    return [...x];
  },
  check({ inTypes, outType }) {
    const problems = segmentInputProblems(inTypes);
    problems.push(...perTensorProblems([outType], ['the output']));
    const fo = outType.frac;
    if (typeof fo === 'number' && (fo < 0 || fo > 30))
      problems.push(`the output frac ${fo} must be within [0, 30]`);
    return problems;
  },
  elementWork: () => 3,
  tileGranule: () => 1,
  kernel({ inputs, inTypes, outType }, out, start, end) {
    const [x, m, s] = inputs as [Int32Array, Int32Array, Int32Array];
    const L = inTypes[0]!.shape.at(-1)!;
    const fx = frac(inTypes[0]!);
    const J = inTypes[1]!.shape.at(-1)!;
    const scale = 2 ** frac(outType);
    for (let r = Math.floor(start / L); r * L < end; r++) {
      const max = rowMax(m, r, J);
      let sum = 0;
      for (let j = 0; j < J; j++) sum += s[r * J + j]!;
      sum = Math.max(1, sum);
      for (let i = Math.max(start, r * L); i < Math.min(end, (r + 1) * L); i++) {
        out[i] = saturate(divRound(expNeg(Math.min(0, x[i]! - max), fx) * scale, sum), outType.dtype);
      }
    }
  },
};

/** Output i of a per-segment op (J segments a row of L, S values each, the last shorter): its row's flat range and the row. */
function segmentRange(i: number, J: number, L: number, S: number): [from: number, to: number, row: number] {
  const r = Math.floor(i / J);
  const j = i - r * J;
  return [r * L + j * S, r * L + Math.min(L, (j + 1) * S), r];
}
