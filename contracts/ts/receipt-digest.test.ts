import { createReceiptDigester, Random, RECEIPT_TYPES, toHex } from '@stoa/ir';
import { type Hex, hashTypedData } from 'viem';
import { describe, expect, it } from 'vitest';
import { ReceiptBatch, receiptDigest, receiptDomainOf } from './game/batch.js';

describe('receiptDigest', () => {
  it('is the EIP-712 digest viem computes, for 60 random receipts on two chains’ ClaimRegistries (and so is the node’s WebAssembly digester)', async () => {
    const rng = new Random(14);
    const hex = (bytes: number) =>
      `0x${Array.from({ length: bytes }, () => rng.int(0, 255).toString(16).padStart(2, '0')).join('')}` as Hex;
    for (let i = 0; i < 60; i++) {
      // A deployment's receipts are signed for its chain and its ClaimRegistry.
      const at = { chainId: i % 2 ? 31337 : 1, claimRegistry: hex(20) };
      const domain = receiptDomainOf(at);
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
        domain: { name: 'Stoa', version: '1', chainId: at.chainId, verifyingContract: at.claimRegistry },
        types: RECEIPT_TYPES,
        primaryType: 'Receipt',
        message: receipt,
      });
      expect(receiptDigest(receipt, domain)).toBe(expected);
      const digester = await createReceiptDigester(domain);
      expect(toHex(digester(receipt))).toBe(expected);
      // A second receipt through the same digester: nothing of the first stays in its buffers.
      const other = { ...receipt, steps: 0, nonce: 0n, traceRoot: `0x${'0'.repeat(64)}` as Hex };
      expect(toHex(digester(other))).toBe(receiptDigest(other, domain));
      expect(toHex(digester(receipt))).toBe(expected);
    }
  });

  it('refuses in the digester what receiptDigest refuses: steps past uint32, a nonce past uint64, a bad node', async () => {
    const domain = { chainId: 31337, verifyingContract: `0x${'11'.repeat(20)}` as Hex };
    const digester = await createReceiptDigester(domain);
    const word = `0x${'ab'.repeat(32)}` as Hex;
    const receipt = {
      modelId: word,
      inputDigest: word,
      outputDigest: word,
      traceRoot: word,
      steps: 1,
      node: `0x${'22'.repeat(20)}` as Hex,
      nonce: 1n,
      signature: `0x${'33'.repeat(65)}` as Hex,
    };
    for (const [bad, message] of [
      [{ steps: 2 ** 32 }, /steps 4294967296 is not a uint32/],
      [{ nonce: 2n ** 64n }, /nonce 18446744073709551616 is not a uint64/],
      [{ node: '0x1234' as Hex }, /node 0x1234 is not (an address|20 bytes of 0x hex)/],
    ] as const) {
      expect(() => receiptDigest({ ...receipt, ...bad }, domain)).toThrow(message);
      expect(() => digester({ ...receipt, ...bad })).toThrow(message);
    }
  });

  it('gives a claim batch the same root and digests with the digester as without', async () => {
    const rng = new Random(15);
    const hex = (bytes: number) =>
      `0x${Array.from({ length: bytes }, () => rng.int(0, 255).toString(16).padStart(2, '0')).join('')}` as Hex;
    const domain = { chainId: 31337, verifyingContract: hex(20) };
    const receipts = Array.from({ length: 37 }, (_, i) => ({
      modelId: hex(32),
      inputDigest: hex(32),
      outputDigest: hex(32),
      traceRoot: hex(32),
      steps: 0,
      node: hex(20),
      nonce: BigInt(i + 1),
      signature: hex(65),
    }));
    const plain = new ReceiptBatch(receipts, domain);
    const fast = new ReceiptBatch(receipts, domain, await createReceiptDigester(domain));
    expect(fast.root).toBe(plain.root);
    receipts.forEach((_, i) => {
      expect(fast.digest(i)).toBe(plain.digest(i));
      expect(fast.proof(i)).toEqual(plain.proof(i));
    });
  });
});
