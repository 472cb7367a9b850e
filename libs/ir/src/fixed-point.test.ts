import { describe, expect, it } from 'vitest';
import {
  divRound,
  EXP_FRAC,
  expNeg,
  floorDiv,
  quantizeValue,
  requantize,
  saturate,
  shiftRound,
} from './fixed-point.js';
import { Random } from './testing/random.js';

const big = (x: number) => BigInt(x);
/** Floor division on BigInt for b > 0 (BigInt division truncates toward zero). */
function bigFloorDiv(a: bigint, b: bigint): bigint {
  return a % b < 0n ? a / b - 1n : a / b;
}

describe('integer primitives', () => {
  const rng = new Random(7);

  it('floorDiv and divRound agree with exact BigInt arithmetic up to 2^47', () => {
    for (let i = 0; i < 20000; i++) {
      const a = Math.floor((rng.next() - 0.5) * 2 ** (1 + rng.int(0, 47)));
      const b = 1 + Math.floor(rng.next() * 2 ** rng.int(0, 24));
      expect(floorDiv(a, b)).toBe(Number(bigFloorDiv(big(a), big(b))));
      expect(divRound(a, b)).toBe(Number(bigFloorDiv(2n * big(a) + big(b), 2n * big(b))));
    }
  });

  it('shiftRound rounds half toward +infinity and left-shifts exactly', () => {
    expect(shiftRound(5, 1)).toBe(3); // 2.5 → 3
    expect(shiftRound(-5, 1)).toBe(-2); // -2.5 → -2
    expect(shiftRound(-6, 2)).toBe(-1); // -1.5 → -1
    expect(shiftRound(7, 0)).toBe(7);
    expect(shiftRound(-3, -4)).toBe(-48);
    expect(shiftRound(2 ** 40, 60)).toBe(0);
    for (let i = 0; i < 20000; i++) {
      const x = Math.floor((rng.next() - 0.5) * 2 ** 48);
      const s = rng.int(1, 52);
      const expected = bigFloorDiv(big(x) + (1n << big(s - 1)), 1n << big(s));
      expect(shiftRound(x, s)).toBe(Number(expected));
    }
  });

  it('saturates to the dtype range', () => {
    expect(saturate(200, 'i8')).toBe(127);
    expect(saturate(-200, 'i8')).toBe(-128);
    expect(requantize(1000, 2, 0, 'i8')).toBe(127);
    expect(requantize(-1000, 4, 0, 'i8')).toBe(-62); // -62.5 → -62
    expect(quantizeValue(0.5, 7, 'i8')).toBe(64);
    expect(quantizeValue(1, 7, 'i8')).toBe(127);
    expect(quantizeValue(-1, 7, 'i8')).toBe(-128);
  });

  it(`expNeg stays within 3 units of 2^${EXP_FRAC}·e^x over its whole domain`, () => {
    let worst = 0;
    for (const frac of [-3, 0, 1, 4, 7, 10, 15, 20]) {
      const limit = Math.min(2 ** 31 - 1, Math.ceil(25 * 2 ** frac));
      const step = Math.max(1, Math.floor(limit / 20000));
      for (let d = 0; d <= limit; d += step) {
        const exact = 2 ** EXP_FRAC * Math.exp(-d * 2 ** -frac);
        worst = Math.max(worst, Math.abs(expNeg(-d, frac) - exact));
      }
    }
    expect(worst).toBeLessThanOrEqual(3);
    expect(expNeg(0, 5)).toBe(2 ** EXP_FRAC);
    expect(expNeg(-(2 ** 30), 0)).toBe(0);
  });
});
