import { divRound, EXP_FRAC, expNeg, saturate } from '../fixed-point.js';
import { frac, type TensorType } from '../graph/types.js';
import { intAttr, type OpDefinition, perTensorProblems } from './op.js';

const EXP_ONE = 2 ** EXP_FRAC;
/** Softmax rows longer than this could overflow the int32 sum of Q16 exponentials. */
export const SOFTMAX_MAX_ROW = 2 ** 14;
const MAX_OUTPUT_FRAC = 30;

function nonlinearProblems(input: TensorType, output: TensorType): string[] {
  const problems = perTensorProblems([input, output], ['the input', 'the output']);
  if (problems.length > 0) return problems;
  if (input.dtype === 'i32') problems.push('the input must be i8 or i16 (exp arguments are bounded)');
  if (frac(output) > MAX_OUTPUT_FRAC || frac(output) < 0) {
    problems.push(`the output frac ${frac(output)} must be within [0, ${MAX_OUTPUT_FRAC}]`);
  }
  return problems;
}

/**
 * Softmax over the last axis: e_i = expNeg(x_i − max_row), out_i = divRound(e_i · 2^fo, Σ e).
 */
export const Softmax: OpDefinition = {
  name: 'Softmax',
  code: 50,
  minInputs: 1,
  maxInputs: 1,
  attrs: { axis: { kind: 'int', default: -1 } },
  inferShape(inTypes, attrs) {
    const rank = inTypes[0]!.shape.length;
    const axis = intAttr(attrs, 'axis');
    if (axis !== -1 && axis !== rank - 1) return `axis ${axis} must be the last axis (-1 or ${rank - 1})`;
    return [...inTypes[0]!.shape];
  },
  check({ inTypes, outType }) {
    const problems = nonlinearProblems(inTypes[0]!, outType);
    const row = inTypes[0]!.shape.at(-1)!;
    if (row > SOFTMAX_MAX_ROW) problems.push(`rows of ${row} values exceed the ${SOFTMAX_MAX_ROW} limit`);
    return problems;
  },
  elementWork: () => 3,
  tileGranule: (inTypes) => inTypes[0]!.shape.at(-1)!,
  kernel({ inputs, inTypes, outType }, out, start, end) {
    const x = inputs[0]!;
    const row = inTypes[0]!.shape.at(-1)!;
    const fi = frac(inTypes[0]!);
    const scale = 2 ** frac(outType);
    const e = new Float64Array(row);
    // Tiles are whole rows; a partial range still computes whole rows and writes its part.
    for (let r = Math.floor(start / row) * row; r < end; r += row) {
      let max = x[r]!;
      for (let k = 1; k < row; k++) max = Math.max(max, x[r + k]!);
      let sum = 0;
      for (let k = 0; k < row; k++) {
        e[k] = expNeg(x[r + k]! - max, fi);
        sum += e[k]!;
      }
      for (let k = Math.max(0, start - r); k < row && r + k < end; k++) {
        out[r + k] = saturate(divRound(e[k]! * scale, sum), outType.dtype);
      }
    }
  },
};

function elementwiseNonlinear(
  name: string,
  code: number,
  f: (x: number, fi: number, scale: number) => number,
): OpDefinition {
  return {
    name,
    code,
    minInputs: 1,
    maxInputs: 1,
    attrs: {},
    inferShape: (inTypes) => [...inTypes[0]!.shape],
    check: ({ inTypes, outType }) => nonlinearProblems(inTypes[0]!, outType),
    elementWork: () => 1,
    tileGranule: () => 1,
    kernel({ inputs, inTypes, outType }, out, start, end) {
      const x = inputs[0]!;
      const fi = frac(inTypes[0]!);
      const scale = 2 ** frac(outType);
      for (let i = start; i < end; i++) out[i] = saturate(f(x[i]!, fi, scale), outType.dtype);
    },
  };
}

/** σ(x) = 1 / (1 + e^-x), evaluated on |x| so that the exp argument is never positive. */
export const Sigmoid = elementwiseNonlinear('Sigmoid', 51, (x, fi, scale) => {
  if (x >= 0) return divRound(EXP_ONE * scale, EXP_ONE + expNeg(-x, fi));
  const e = expNeg(x, fi);
  return divRound(e * scale, EXP_ONE + e);
});

/** tanh(x) = sign(x) · (1 − e^{-2|x|}) / (1 + e^{-2|x|}); e^{-2|x|} is expNeg(−|x|, fi − 1). */
export const Tanh = elementwiseNonlinear('Tanh', 52, (x, fi, scale) => {
  const e = expNeg(-Math.abs(x), fi - 1);
  const t = divRound((EXP_ONE - e) * scale, EXP_ONE + e);
  return x < 0 ? -t : t;
});
