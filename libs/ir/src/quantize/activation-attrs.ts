import type { FloatNode } from '../onnx/float-graph.js';
import { HARD_SIGMOID_FRAC } from '../ops/activation.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Integer Clip bounds at the input's frac: round(bound · 2^frac), infinite ones at int32's limits. */
export function clipAttrs(bounds: { lo: number; hi: number }, frac: number): { min: number; max: number } {
  const at = (v: number) => Math.min(INT32_MAX, Math.max(INT32_MIN, Math.round(v * 2 ** frac)));
  return { min: at(bounds.lo), max: at(bounds.hi) };
}

/** HardSigmoid's α and β (ONNX defaults 0.2, 0.5) in Q16. */
export function hardSigmoidAttrs(node: FloatNode): { alpha: number; beta: number } {
  const real = (key: string, fallback: number) => {
    const v = node.attrs[key];
    return typeof v === 'number' ? v : fallback;
  };
  return {
    alpha: Math.round(real('alpha', 0.2) * 2 ** HARD_SIGMOID_FRAC),
    beta: Math.round(real('beta', 0.5) * 2 ** HARD_SIGMOID_FRAC),
  };
}
