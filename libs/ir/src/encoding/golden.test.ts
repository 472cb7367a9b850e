import { describe, expect, it } from 'vitest';
import { toHex } from '../commit/hash.js';
import { merkleRoot } from '../commit/merkle.js';
import { tensorDigest } from '../commit/tensor-digest.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { modelId, modelPreimage, weightsRoot } from './codec.js';

/**
 * Golden values pin the encoding and hashing rules of docs/semantics.md §5: the Solidity
 * verifier and the circuits must reproduce them. Changing one is a new op-set version. The
 * digest and weightsRoot were also computed independently (Python hashlib) from the spec text,
 * and the modelId from its pre-image (Python hashlib; ModelRegistry.modelIdOf on chain agrees,
 * contracts/ts/contracts.test.ts).
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
    expect(modelPreimage(model)).toEqual({
      graphDigest: '0xe7be6a00b2105c6ededa9a9891efc38ba68d94ef6050a47e9cb6c1171c0b1cc7',
      weightsRoot: '0xf5c82b2e9fbfb62f74d56f84413a685c0e41c749b71c2bbe77e3ab6ae27b1ad0',
      stepsRoot: '0xbc135576253ff115fb67ceb46c58f01fb8a1d80ecfa60dc7cdbd14afd5e275b5',
      layoutHash: '0x247e34aa6318cb32bf35fae38de0986fa7028c636a643f9b824d634839b533c3',
      steps: 2,
      opset: 2,
    });
    // modelId v2 = sha256('stoa.modelId.v2' ‖ the four roots ‖ steps u32 ‖ opset u16).
    expect(toHex(modelId(model))).toBe('0xa6dc8b4e49b20c59d03f03da70b8d9c32f4c6c3f928fe62e004310606009abd0');
  });
});
