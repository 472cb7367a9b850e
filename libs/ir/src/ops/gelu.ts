import { divRound, EXP_FRAC, expNeg, requantize, shiftRound } from '../fixed-point.js';
import { frac } from '../graph/types.js';
import { Sigmoid } from './nonlinear.js';
import type { OpDefinition } from './op.js';

/**
 * GELU in its tanh form, x · σ(2√(2/π) · (x + 0.044715 x³)), in integers (docs/semantics.md):
 * x is rescaled to frac 12 (|x| < 8 there, beyond which GELU is x or 0 to within 10⁻¹⁴), the
 * cubic and the scale are Q16 constants, the gate σ(z) is Q16 from the shared `expNeg`, and
 * y = requantize(x · gate, fi + 16, fo). Every intermediate is an integer below 2³⁵.
 */
export const GELU_FRAC = 12;
/** round(0.044715 · 2^16) */
export const GELU_CUBIC_Q16 = 2930;
/** round(2 · √(2/π) · 2^16) */
export const GELU_SCALE_Q16 = 104581;
/** |x| ≥ 8 takes the linear (x) or zero branch. */
const GELU_SATURATION = 8;
const ONE = 2 ** EXP_FRAC;

export function geluFixed(
  x: number,
  fi: number,
  fo: number,
  dtype: Parameters<typeof requantize>[3],
): number {
  const edge = GELU_SATURATION * 2 ** fi;
  if (x >= edge) return requantize(x, fi, fo, dtype);
  if (x <= -edge) return 0;
  const xr = shiftRound(x, fi - GELU_FRAC);
  const x2 = shiftRound(xr * xr, GELU_FRAC);
  const x3 = shiftRound(x2 * xr, GELU_FRAC);
  const z = shiftRound((xr + shiftRound(x3 * GELU_CUBIC_Q16, EXP_FRAC)) * GELU_SCALE_Q16, EXP_FRAC);
  let gate: number;
  if (z >= 0) gate = divRound(ONE * ONE, ONE + expNeg(-z, GELU_FRAC));
  else {
    const e = expNeg(z, GELU_FRAC);
    gate = divRound(e * ONE, ONE + e);
  }
  return requantize(x * gate, fi + EXP_FRAC, fo, dtype);
}

export const Gelu: OpDefinition = {
  ...Sigmoid,
  name: 'Gelu',
  code: 71,
  kernel({ inputs, inTypes, outType }, out, start, end) {
    const x = inputs[0]!;
    const fi = frac(inTypes[0]!);
    const fo = frac(outType);
    for (let i = start; i < end; i++) out[i] = geluFixed(x[i]!, fi, fo, outType.dtype);
  },
};
