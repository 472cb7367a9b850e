import { Random, RECEIPT_TYPES } from '@stoa/ir';
import { type Hex, hashTypedData } from 'viem';
import { describe, expect, it } from 'vitest';
import { receiptDigest } from './game/batch.js';

describe('receiptDigest', () => {
  it('is the EIP-712 digest viem computes, for 60 random receipts on two domains', () => {
    const rng = new Random(14);
    const hex = (bytes: number) =>
      `0x${Array.from({ length: bytes }, () => rng.int(0, 255).toString(16).padStart(2, '0')).join('')}` as Hex;
    for (let i = 0; i < 60; i++) {
      const domain = { chainId: i % 2 ? 31337 : 1, verifyingContract: hex(20) };
      const receipt = {
        modelId: hex(32),
        inputDigest: hex(32),
        outputDigest: hex(32),
        traceRoot: i % 3 ? hex(32) : (`0x${'0'.repeat(64)}` as Hex),
        steps: i % 5 ? rng.int(0, 2 ** 31) : 2 ** 32 - 1,
        node: hex(20),
        nonce:
          i % 7 ? BigInt(rng.int(0, 2 ** 31)) * 4_294_967_296n + BigInt(rng.int(0, 2 ** 31)) : 2n ** 64n - 1n,
        signature: hex(65),
      };
      const expected = hashTypedData({
        domain: { name: 'Stoa', version: '1', ...domain },
        types: RECEIPT_TYPES,
        primaryType: 'Receipt',
        message: receipt,
      });
      expect(receiptDigest(receipt, domain)).toBe(expected);
    }
  });
});
