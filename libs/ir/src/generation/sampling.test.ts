import { describe, expect, it } from 'vitest';
import type { IntTensor } from '../tensor.js';
import { greedyToken, sampleToken, splitMix64 } from './sampling.js';

const FRAC = 8;
/** Two positions of 4 logits at frac 8: row 0 ≈ [0, ln 2, ln 4, −∞-ish], row 1 all equal. */
const logits: IntTensor = {
  dtype: 'i16',
  shape: [2, 4],
  data: Int32Array.from([0, 177, 355, -8000, 5, 5, 5, 5]),
};

describe('seeded integer sampling', () => {
  it('matches SplitMix64 reference values', () => {
    // SplitMix64 with state 0: first outputs (Vigna's reference implementation).
    expect(splitMix64(0n, 0n)).toBe(0xe220a8397b1dcdafn);
    expect(splitMix64(0n, 1n)).toBe(0x6e789e6aa1b965f4n);
  });

  it('is greedy at temperature 0 and deterministic per (seed, position)', () => {
    expect(sampleToken(logits, FRAC, 0, { seed: 1n, temperatureMilli: 0 }, 0)).toBe(greedyToken(logits, 0));
    const draw = (seed: bigint, n: number) =>
      sampleToken(logits, FRAC, 0, { seed, temperatureMilli: 1000 }, n);
    for (let s = 0n; s < 20n; s++) expect(draw(s, 3)).toBe(draw(s, 3));
    // Another draw number is another stream: some of 20 seeds must pick differently.
    expect(
      Array.from({ length: 20 }, (_, s) => draw(BigInt(s), 3) !== draw(BigInt(s), 4)).some(Boolean),
    ).toBe(true);
  });

  it('draws in proportion to the integer softmax (1:2:4:0 at temperature 1)', () => {
    const counts = [0, 0, 0, 0];
    for (let s = 0n; s < 7000n; s++)
      counts[sampleToken(logits, FRAC, 0, { seed: s, temperatureMilli: 1000 }, 0)]! += 1;
    expect(counts[3]).toBe(0);
    expect(counts[0]! / 1000).toBeCloseTo(1, 0);
    expect(counts[1]! / 1000).toBeCloseTo(2, 0);
    expect(counts[2]! / 1000).toBeCloseTo(4, 0);
    const uniform = [0, 0, 0, 0];
    for (let s = 0n; s < 4000n; s++)
      uniform[sampleToken(logits, FRAC, 1, { seed: s, temperatureMilli: 700 }, 0)]! += 1;
    for (const c of uniform) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('rejects a negative or fractional temperature, naming it', () => {
    expect(() => sampleToken(logits, FRAC, 0, { seed: 0n, temperatureMilli: -1 }, 0)).toThrow(
      /temperatureMilli/,
    );
    expect(() => sampleToken(logits, FRAC, 0, { seed: 0n, temperatureMilli: 0.5 }, 0)).toThrow(
      /temperatureMilli/,
    );
  });
});
