/**
 * Integer primitives shared by every op. They are the vocabulary of docs/semantics.md; each
 * takes and returns exact integers held in JS numbers. Callers keep magnitudes below 2^52
 * (validation proves the bounds per op), where doubles represent integers exactly.
 */
import { type DType, dtypeInfo } from './dtype.js';

/** Clamp to the range of `dtype`. */
export function saturate(x: number, dtype: DType): number {
  const { min, max } = dtypeInfo(dtype);
  return x < min ? min : Math.min(x, max);
}

/** floor(a / b) for integers, b > 0, exact for |a| < 2^52 and b < 2^52. */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  // The float quotient can be off by one near integers; correct it with an exact remainder.
  const r = a - q * b;
  if (r < 0) q -= 1;
  else if (r >= b) q += 1;
  return q;
}

/** Division rounded to nearest, ties toward +infinity: floor((2a + b) / (2b)), b > 0. */
export function divRound(a: number, b: number): number {
  return floorDiv(2 * a + b, 2 * b);
}

/**
 * Rescale an integer from `s` more fractional bits to fewer: round(x / 2^s) with ties toward
 * +infinity, i.e. floor((x + 2^(s-1)) / 2^s). For s <= 0 it multiplies by 2^-s (exact).
 */
export function shiftRound(x: number, s: number): number {
  if (s <= 0) return x * 2 ** -s;
  if (s >= 53) return 0; // |x| < 2^52 <= 2^(s-1): the rounded quotient is 0
  return Math.floor((x + 2 ** (s - 1)) / 2 ** s);
}

/** Rescale from fractional bits `fromFrac` to `toFrac`, then saturate to `dtype`. */
export function requantize(x: number, fromFrac: number, toFrac: number, dtype: DType): number {
  return saturate(shiftRound(x, fromFrac - toFrac), dtype);
}

/** Quantize a real number to fixed point with `frac` fractional bits (round half up, saturate). */
export function quantizeValue(x: number, frac: number, dtype: DType): number {
  if (Number.isNaN(x)) return 0;
  return saturate(Math.floor(x * 2 ** frac + 0.5), dtype);
}

export function dequantizeValue(q: number, frac: number): number {
  return q * 2 ** -frac;
}

/** Fractional bits of the fixed-point exponential's result: exp values are Q16. */
export const EXP_FRAC = 16;
const EXP_ONE = 2 ** EXP_FRAC;
/** round(log2(e) * 2^16) */
export const LOG2E_Q16 = 94548;
/**
 * Quartic near-minimax fit of 2^-r on r in [0,1), coefficients in Q16, highest degree first
 * (Horner order). Fitted once offline; fixed here because they are part of the spec.
 */
export const EXP2_NEG_POLY_Q16: readonly number[] = [453, -3498, 15699, -45422, 65536];

/**
 * Fixed-point exp of a non-positive value: returns ≈ 2^16 · exp(d · 2^-frac) for integer
 * d <= 0, as an integer in [0, 2^16]. Bounds: |d| < 2^31, -32 <= frac <= 32.
 */
export function expNeg(d: number, frac: number): number {
  if (d > 0) throw new RangeError(`expNeg expects a non-positive argument, got ${d}`);
  if (d === 0) return EXP_ONE;
  // y = -d · log2(e), with F = frac + 16 fractional bits; exp(x) = 2^-y.
  const y = -d * LOG2E_Q16;
  const F = frac + EXP_FRAC;
  // Split y = n + r, n integer, r in [0,1) as Q16.
  let n: number;
  let r16: number;
  if (F >= 0) {
    n = Math.floor(y / 2 ** F);
    const rem = y - n * 2 ** F;
    r16 = F >= EXP_FRAC ? Math.floor(rem / 2 ** (F - EXP_FRAC)) : rem * 2 ** (EXP_FRAC - F);
  } else {
    n = y * 2 ** -F;
    r16 = 0;
  }
  if (n > 30) return 0;
  let p = EXP2_NEG_POLY_Q16[0]!;
  for (let i = 1; i < EXP2_NEG_POLY_Q16.length; i++) {
    p = shiftRound(p * r16, EXP_FRAC) + EXP2_NEG_POLY_Q16[i]!;
  }
  return shiftRound(p, n);
}
