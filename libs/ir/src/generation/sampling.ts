import { expNeg } from '../fixed-point.js';
import type { IntTensor } from '../tensor.js';

/**
 * Seeded sampling that anyone re-derives from the receipt: temperature in thousandths (0 is
 * greedy), a SplitMix64 draw keyed by (seed, index of the generated token), and an integer
 * inverse CDF over the Q16 weights
 * e_k = expNeg(round((x_k − max) · 1000 / temperature), frac). No float touches the pick.
 */
export interface SamplingParams {
  readonly seed: bigint;
  /** Temperature × 1000, a non-negative integer; 0 picks greedily. */
  readonly temperatureMilli: number;
}

export const GREEDY: SamplingParams = { seed: 0n, temperatureMilli: 0 };

/**
 * Greedy choice on the integer logits: the largest value of row `position`, ties to the lowest
 * id. Pure integer arithmetic on the model's committed output, so anyone re-derives it.
 */
export function greedyToken(logits: IntTensor, position: number): number {
  const vocab = logits.shape.at(-1)!;
  let best = 0;
  for (let j = 1; j < vocab; j++)
    if (logits.data[position * vocab + j]! > logits.data[position * vocab + best]!) best = j;
  return best;
}

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64's output for counter `counter` of stream `seed` (a counter-based PRNG). */
export function splitMix64(seed: bigint, counter: bigint): bigint {
  let z = (seed + (counter + 1n) * 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * The token drawn from row `position` of integer logits at fractional bits `frac`, with draw
 * number `draw` (the generated token's index: the row repeats once the window is full).
 */
export function sampleToken(
  logits: IntTensor,
  frac: number,
  position: number,
  params: SamplingParams,
  draw: number,
): number {
  const t = params.temperatureMilli;
  if (!Number.isInteger(t) || t < 0)
    throw new RangeError(`temperatureMilli must be a non-negative integer, got ${t}`);
  if (t === 0) return greedyToken(logits, position);
  const vocab = logits.shape.at(-1)!;
  const row = logits.data.subarray(position * vocab, (position + 1) * vocab);
  let max = row[0]!;
  for (const v of row) max = Math.max(max, v);
  const weights = Array.from(row, (v) =>
    expNeg(Math.floor(((v - max) * 1000 + Math.floor(t / 2)) / t), frac),
  );
  const total = weights.reduce((a, b) => a + b, 0);
  // total ≤ 2^16 · vocab ≪ 2^64: the modulo bias is below 2^-40, and the draw is exact either way.
  let u = Number(splitMix64(params.seed, BigInt(draw)) % BigInt(total));
  for (let k = 0; k < vocab; k++) {
    if (u < weights[k]!) return k;
    u -= weights[k]!;
  }
  throw new Error('sampleToken: the inverse CDF ran past the vocabulary');
}
