import { merkleMultiproof, merkleProof, merkleRoot, Random, toHex } from '@stoa/ir';
import type { Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { merkleHarnessArtifact } from './artifacts.generated.js';
import { anvilFixture } from './testing/harness.js';

const abi = merkleHarnessArtifact.abi;
const anvil = anvilFixture(merkleHarnessArtifact);

const depthOf = (n: number) => Math.ceil(Math.log2(Math.max(1, n)));
const hex = (words: readonly Uint8Array[]) => words.map((w) => toHex(w) as Hex);

/** Differential test: Sha256Merkle.rootFromMultiproof vs the TypeScript builder (libs/ir merkle.ts). */
describe('Sha256Merkle.rootFromMultiproof vs merkleMultiproof', () => {
  it('reaches the root for random index sets over trees of 1 to 40 leaves (16 trees), and not with a wrong leaf or sibling', async () => {
    const rng = new Random(15);
    for (let t = 0; t < 16; t++) {
      const n = t < 8 ? [1, 2, 3, 4, 5, 8, 9, 33][t]! : rng.int(1, 40);
      // The last leaf is short, as a tensor's last chunk is.
      const leaves = Array.from({ length: n }, (_, i) =>
        Uint8Array.from(rng.ints(i === n - 1 ? 17 : 64, 0, 255)),
      );
      const root = toHex(merkleRoot(leaves));
      const all = Array.from({ length: n }, (_, i) => i);
      const sets = [
        [rng.int(0, n - 1)],
        all,
        all.filter(() => rng.next() < 0.3),
        all.slice(rng.int(0, n - 1)),
      ];
      for (const indices of sets.filter((s) => s.length > 0)) {
        const label = `${n} leaves, ${indices.join(',')}`;
        const proof = merkleMultiproof(leaves, indices);
        const call = (opened: readonly Uint8Array[], words: readonly Uint8Array[], at = indices) =>
          anvil.h.read(anvil.address, abi, 'rootFromMultiproof', [
            opened.map((d) => toHex(d) as Hex),
            at.map(BigInt),
            BigInt(depthOf(n)),
            hex(words),
          ]);
        const opened = indices.map((i) => leaves[i]!);
        expect(await call(opened, proof), label).toBe(root);
        // A single leaf's multiproof is its ordinary proof.
        if (indices.length === 1) expect(hex(proof), label).toEqual(hex(merkleProof(leaves, indices[0]!)));
        const wrongLeaf = opened.map((d, k) =>
          k === 0 ? Uint8Array.from(d, (v, i) => (i === 0 ? v ^ 1 : v)) : d,
        );
        expect(await call(wrongLeaf, proof), label).not.toBe(root);
        if (proof.length > 0) {
          const wrongSibling = proof.map((w, k) =>
            k === proof.length - 1 ? Uint8Array.from(w, (v, i) => (i === 5 ? v ^ 4 : v)) : w,
          );
          expect(await call(opened, wrongSibling), label).not.toBe(root);
          // Not consumed exactly: zero.
          expect(BigInt((await call(opened, proof.slice(0, -1))) as Hex), label).toBe(0n);
          expect(BigInt((await call(opened, [...proof, proof[0]!])) as Hex), label).toBe(0n);
        }
      }
    }
  });
});
