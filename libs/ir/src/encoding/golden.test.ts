import { describe, expect, it } from 'vitest';
import { toHex } from '../commit/hash.js';
import { merkleRoot } from '../commit/merkle.js';
import { tensorDigest } from '../commit/tensor-digest.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { modelId, weightsRoot } from './codec.js';

/**
 * Golden values pin the encoding and hashing rules of docs/semantics.md §5: the Solidity
 * verifier and the circuits must reproduce them. Changing one is a new op-set version. The
 * digest and weightsRoot were also computed independently (Python hashlib) from the spec text.
 */
describe('golden commitments', () => {
  it('keeps the digests and the modelId of a fixed model', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [1, 4], frac: 5 });
    const w = b.param(
      'w',
      { dtype: 'i8', shape: [2, 4], frac: { axis: 0, fracs: [6, 7] } },
      [1, -2, 3, -4, 5, -6, 7, -8],
    );
    const y = b.op('MatMul', [x, w], { frac: 4 });
    b.output(b.op('Relu', [y]));
    const model = createModel(b.build(), 'golden');
    expect(toHex(merkleRoot([]))).toBe(`0x${'0'.repeat(64)}`);
    expect(toHex(tensorDigest('i8', Int32Array.of(1, -1)))).toBe(
      '0x949bcb44a377de3b8bf0bb47b907b7ee13132a95848bb759cef7122114763d31',
    );
    expect(toHex(weightsRoot(model))).toBe(
      '0xf5c82b2e9fbfb62f74d56f84413a685c0e41c749b71c2bbe77e3ab6ae27b1ad0',
    );
    // Op-set version 2 (the tile rule changed; the version is part of the structure).
    expect(toHex(modelId(model))).toBe('0x520359778edc83e8e59a1c4a10fb9b286e554b4b48fc2fe6fa5450041ee58b01');
  });
});
