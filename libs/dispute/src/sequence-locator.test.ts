import { describe, expect, it } from 'vitest';
import { InconsistentReveal, locateFirstDifference, treeLevels, treeRevealer } from './sequence-locator.js';

const leaves = (n: number, changed?: number) =>
  Array.from({ length: n }, (_, i) => Uint8Array.of(i, i === changed ? 1 : 0));

describe('locating the first disputed element of a sequence', () => {
  it('finds the first changed leaf in ⌈log_k n⌉ rounds for every n ≤ 40, k ∈ {2, 4, 8, 16}', async () => {
    for (const k of [2, 4, 8, 16])
      for (let n = 1; n <= 40; n++)
        for (const changed of new Set([0, Math.floor(n / 2), n - 1])) {
          const claimant = treeLevels(leaves(n, changed));
          const mine = treeLevels(leaves(n));
          const located = await locateFirstDifference(claimant.at(-1)![0]!, treeRevealer(claimant), mine, k);
          expect(located?.index).toBe(changed);
          // ⌈log_k n⌉ as integers: the least r with k^r ≥ n.
          let r = 0;
          while (k ** r < n) r++;
          expect(located?.rounds).toBe(r);
        }
  });

  it('finds nothing when the roots agree, and rejects a reveal that does not hash to its node', async () => {
    const mine = treeLevels(leaves(9));
    expect(await locateFirstDifference(mine.at(-1)![0]!, treeRevealer(mine), mine, 4)).toBeUndefined();
    const claimant = treeLevels(leaves(9, 3));
    await expect(locateFirstDifference(claimant.at(-1)![0]!, treeRevealer(mine), mine, 4)).rejects.toThrow(
      InconsistentReveal,
    );
    await expect(
      locateFirstDifference(claimant.at(-1)![0]!, treeRevealer(claimant), mine, 3),
    ).rejects.toThrow(/power of two/);
  });
});
