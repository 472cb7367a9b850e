import { saturate, shiftRound } from '../fixed-point.js';
import { frac, type TensorType } from '../graph/types.js';
import { sameTypeProblems } from './elementwise.js';
import { INTERMEDIATE_LIMIT, intAttr, type OpDefinition, perTensorProblems } from './op.js';

/** Fractional bits of HardSigmoid's alpha and beta attributes (Q16, as exp values). */
export const HARD_SIGMOID_FRAC = 16;

const elementActivation = {
  minInputs: 1,
  maxInputs: 1,
  elementWork: () => 1,
  tileGranule: () => 1,
  inferShape: (inTypes: readonly TensorType[]) => [...inTypes[0]!.shape],
};

/**
 * Clip : x → saturate(min(max(x, min), max)), bounds in the input's own scale; the output type
 * is the input type. ONNX Clip, Relu6 and Max/Min with a constant lower to it.
 */
export const Clip: OpDefinition = {
  ...elementActivation,
  name: 'Clip',
  code: 15,
  attrs: { min: { kind: 'int' }, max: { kind: 'int' } },
  check({ inTypes, outType, attrs }) {
    const problems = perTensorProblems([inTypes[0]!, outType], ['the input', 'the output']);
    if (problems.length > 0) return problems;
    problems.push(...sameTypeProblems(inTypes[0]!, outType));
    if (intAttr(attrs, 'min') > intAttr(attrs, 'max'))
      problems.push(`min ${intAttr(attrs, 'min')} exceeds max ${intAttr(attrs, 'max')}`);
    return problems;
  },
  kernel({ inputs, outType, attrs }, out, start, end) {
    const x = inputs[0]!;
    // saturate(clamp(x, min, max)) = clamp(x, saturate(min), saturate(max)) for x in range.
    const lo = saturate(intAttr(attrs, 'min'), outType.dtype);
    const hi = saturate(intAttr(attrs, 'max'), outType.dtype);
    for (let i = start; i < end; i++) out[i] = Math.min(Math.max(x[i]!, lo), hi);
  },
};

/** Alignment of alpha·x (frac fi + 16) and beta (frac 16) to F = max(fi + 16, 16). */
export function hardSigmoidScales(input: TensorType, output: TensorType) {
  const fi = frac(input);
  const F = Math.max(fi + HARD_SIGMOID_FRAC, HARD_SIGMOID_FRAC);
  return { sa: 2 ** (F - fi - HARD_SIGMOID_FRAC), sb: 2 ** (F - HARD_SIGMOID_FRAC), shift: F - frac(output) };
}

/**
 * HardSigmoid : x → clamp(round((α·x·sa + β·sb) / 2^shift), 0, 2^fo), saturated to the output
 * dtype, with α, β in Q16 (attrs alpha, beta) and sa, sb, shift from hardSigmoidScales.
 * Error against clamp(a·x + b, 0, 1): ≤ 2^-17·(|x| + 1) + 2^-(fo+1) (docs/semantics.md).
 */
export const HardSigmoid: OpDefinition = {
  ...elementActivation,
  name: 'HardSigmoid',
  code: 53,
  attrs: { alpha: { kind: 'int' }, beta: { kind: 'int' } },
  check({ inTypes, outType, attrs }) {
    const problems = perTensorProblems([inTypes[0]!, outType], ['the input', 'the output']);
    if (problems.length > 0) return problems;
    if (inTypes[0]!.dtype === 'i32') problems.push('the input must be i8 or i16');
    if (frac(outType) < 0 || frac(outType) > 30)
      problems.push(`the output frac ${frac(outType)} must be within [0, 30]`);
    const { sa, sb } = hardSigmoidScales(inTypes[0]!, outType);
    const bound = Math.abs(intAttr(attrs, 'alpha')) * 2 ** 15 * sa + Math.abs(intAttr(attrs, 'beta')) * sb;
    if (bound >= INTERMEDIATE_LIMIT) problems.push(`α·x + β may reach ${bound}, over the 2^47 bound`);
    return problems;
  },
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const x = inputs[0]!;
    const { sa, sb, shift } = hardSigmoidScales(inTypes[0]!, outType);
    const alpha = intAttr(attrs, 'alpha') * sa;
    const beta = intAttr(attrs, 'beta') * sb;
    const one = 2 ** frac(outType);
    for (let i = start; i < end; i++) {
      const y = shiftRound(alpha * x[i]! + beta, shift);
      out[i] = saturate(Math.min(Math.max(y, 0), one), outType.dtype);
    }
  },
};
