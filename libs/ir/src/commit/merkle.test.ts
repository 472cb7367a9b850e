import { describe, expect, it } from 'vitest';
import { toHex } from './hash.js';
import { merkleProof, merkleRoot, verifyMerkleProof } from './merkle.js';
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
