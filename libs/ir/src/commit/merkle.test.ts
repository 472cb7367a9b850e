import { describe, expect, it } from 'vitest';
import { toHex } from './hash.js';
import {
  merkleMultiproof,
  merkleProof,
  merkleRoot,
  merkleRootFromMultiproof,
  merkleRootFromProof,
  verifyMerkleProof,
} from './merkle.js';
import { chunksOf, digestBytes, tensorDigest } from './tensor-digest.js';

const leaves = (n: number) =>
  Array.from({ length: n }, (_, i) => Uint8Array.from({ length: 1 + (i % 5) }, (_, k) => i * 7 + k));

describe('merkle commitments', () => {
  it('opens every leaf of trees of every size, and rejects flipped leaves, proofs, roots and indices', () => {
    for (const n of [1, 2, 3, 5, 8, 13]) {
      const data = leaves(n);
      const root = merkleRoot(data);
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(data, i);
        expect(verifyMerkleProof(root, data[i]!, i, proof)).toBe(true);
        const badLeaf = Uint8Array.from(data[i]!);
        badLeaf[0]! ^= 1;
        expect(verifyMerkleProof(root, badLeaf, i, proof)).toBe(false);
        const badRoot = Uint8Array.from(root);
        badRoot[31]! ^= 0x80;
        expect(verifyMerkleProof(badRoot, data[i]!, i, proof)).toBe(false);
        if (proof.length > 0) {
          const badProof = proof.map((p) => Uint8Array.from(p));
          badProof[0]![5]! ^= 4;
          expect(verifyMerkleProof(root, data[i]!, i, badProof)).toBe(false);
          expect(verifyMerkleProof(root, data[i]!, i ^ 1, proof)).toBe(false);
        }
      }
    }
  });

  it('opens any strictly ascending set of leaves with one multiproof, no larger than the per-leaf proofs', () => {
    // Seeded, so a failure names a reproducible set: sizes 1..37 (1-leaf, powers of two and not),
    // single leaves, all leaves, contiguous runs (the last, short, chunk among them) and sparse sets.
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const sets = (n: number): number[][] => {
      const run = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => a + k);
      const out = [[0], [n - 1], run(0, n - 1), run(Math.floor(n / 2), n - 1)];
      for (let t = 0; t < 6; t++) out.push(run(0, n - 1).filter(() => random() < 0.3));
      const a = Math.floor(random() * n);
      out.push(run(a, Math.min(n - 1, a + Math.floor(random() * 10))));
      return out.filter((s) => s.length > 0);
    };
    for (const n of [...Array.from({ length: 20 }, (_, k) => k + 1), 31, 33, 37]) {
      const data = leaves(n);
      const root = merkleRoot(data);
      for (const indices of sets(n)) {
        const label = `${n} leaves, indices ${indices.join(',')}`;
        const opened = indices.map((i) => data[i]!);
        const proof = merkleMultiproof(data, indices);
        expect(merkleRootFromMultiproof(opened, indices, n, proof), label).toEqual(root);
        // The per-leaf proofs reach the same root, and their siblings hold every multiproof word.
        const perLeaf = indices.map((i) => merkleProof(data, i));
        for (const [k, i] of indices.entries())
          expect(merkleRootFromProof(data[i]!, i, perLeaf[k]!), label).toEqual(root);
        const words = new Set(perLeaf.flat().map((w) => toHex(w)));
        for (const w of proof) expect(words.has(toHex(w)), label).toBe(true);
        expect(proof.length, label).toBeLessThanOrEqual(perLeaf.flat().length);
        // Rejected: a changed leaf, a changed or missing or extra sibling.
        const bad = opened.map((d) => Uint8Array.from(d));
        bad[bad.length - 1]![0]! ^= 1;
        expect(merkleRootFromMultiproof(bad, indices, n, proof), label).not.toEqual(root);
        if (proof.length > 0) {
          const flipped = proof.map((w) => Uint8Array.from(w));
          flipped[flipped.length - 1]![3]! ^= 2;
          expect(merkleRootFromMultiproof(opened, indices, n, flipped), label).not.toEqual(root);
          expect(merkleRootFromMultiproof(opened, indices, n, proof.slice(1)), label).toBeUndefined();
        }
        expect(merkleRootFromMultiproof(opened, indices, n, [...proof, root]), label).toBeUndefined();
      }
    }
    expect(merkleMultiproof(leaves(1), [0])).toEqual([]);
    expect(merkleMultiproof(leaves(8), [])).toEqual([]);
    expect(merkleMultiproof(leaves(8), [0, 1, 2, 3, 4, 5, 6, 7])).toEqual([]);
    expect(() => merkleMultiproof(leaves(8), [3, 2])).toThrow(/not strictly ascending/);
    expect(() => merkleMultiproof(leaves(8), [2, 2])).toThrow(/not strictly ascending/);
    expect(() => merkleMultiproof(leaves(5), [5])).toThrow(/out of range/);
  });

  it('binds tensor digests to every byte and to the length', () => {
    const data = Int32Array.from({ length: 3000 }, (_, i) => (i % 255) - 127);
    const digest = toHex(tensorDigest('i8', data));
    const changed = Int32Array.from(data);
    changed[2999] = 0;
    expect(toHex(tensorDigest('i8', changed))).not.toBe(digest);
    expect(toHex(tensorDigest('i16', data))).not.toBe(digest);
    expect(chunksOf(new Uint8Array(3000)).map((c) => c.length)).toEqual([1024, 1024, 952]);
    expect(toHex(digestBytes(new Uint8Array(1024)))).not.toBe(toHex(digestBytes(new Uint8Array(1025))));
  });
});
