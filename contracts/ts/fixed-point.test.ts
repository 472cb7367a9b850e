import { divRound, dtypeInfo, expNeg, floorDiv, Random, requantize, shiftRound } from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { fixedPointHarnessArtifact } from './artifacts.generated.js';
import { anvilFixture } from './testing/harness.js';

const CASES = 500;
const abi = fixedPointHarnessArtifact.abi;
const anvil = anvilFixture(fixedPointHarnessArtifact);

const onChain = async (fn: string, args: number[]) =>
  Number((await anvil.h.read(anvil.address, abi, fn, args.map(BigInt))) as bigint);

/** Differential tests: the Solidity library vs the TypeScript reference (docs/semantics.md §2). */
describe(`FixedPoint.sol vs the TypeScript reference, ${CASES} random cases each`, () => {
  const rng = new Random(2026);
  const big = () => Math.floor((rng.next() - 0.5) * 2 ** rng.int(1, 47));

  it('floorDiv and divRound', async () => {
    for (let i = 0; i < CASES; i++) {
      const a = big();
      const b = rng.int(1, 2 ** rng.int(1, 24));
      expect(await onChain('floorDiv', [a, b]), `floorDiv(${a}, ${b})`).toBe(floorDiv(a, b));
      expect(await onChain('divRound', [a, b]), `divRound(${a}, ${b})`).toBe(divRound(a, b));
    }
  });

  it('shiftRound and requantize, including negative ties and saturation', async () => {
    for (let i = 0; i < CASES; i++) {
      const x = big();
      const s = rng.int(-16, 60);
      expect(await onChain('shiftRound', [x, s]), `shiftRound(${x}, ${s})`).toBe(shiftRound(x, s));
      const dtype = rng.pick(['i8', 'i16', 'i32'] as const);
      const { min, max } = dtypeInfo(dtype);
      const [from, to] = [rng.int(-8, 32), rng.int(-8, 32)];
      expect(
        await onChain('requantize', [x, from, to, min, max]),
        `requantize(${x}, ${from}, ${to}, ${dtype})`,
      ).toBe(requantize(x, from, to, dtype));
    }
  });

  it('expNeg over its whole domain', async () => {
    for (let i = 0; i < CASES; i++) {
      const frac = rng.int(-8, 24);
      const d = -Math.floor(rng.next() * Math.min(2 ** 31 - 1, 40 * 2 ** Math.max(frac, 0)));
      expect(await onChain('expNeg', [d, frac]), `expNeg(${d}, ${frac})`).toBe(expNeg(d, frac));
    }
  });
});
