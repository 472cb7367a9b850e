import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { toHex } from '../commit/hash.js';
import { Random } from '../testing/random.js';
import { makeReceipt, signReceipt, verifyReceipt } from './receipt.js';
import { createReceiptSigner } from './receipt-signer.js';

// Well-known anvil development key: never holds value.
const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const HALF_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n >> 1n;
/** A receipt of all-zero digests, step 1, nonce 1, naming `node`. */
const zeroReceipt = (node: `0x${string}`) => {
  const zero = new Uint8Array(32);
  return makeReceipt(
    { modelId: zero, inputDigest: zero, outputDigest: zero, traceRoot: zero, steps: 1 },
    node,
    1n,
  );
};
const domain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const;

describe('fast receipt signer', () => {
  it("signs exactly the bytes viem's EIP-712 path signs, for any fields", async () => {
    const account = privateKeyToAccount(KEY);
    const signer = await createReceiptSigner(KEY, domain);
    const rng = new Random(4);
    const bytes = () => Uint8Array.from(rng.ints(32, 0, 255));
    for (let i = 0; i < 20; i++) {
      const receipt = makeReceipt(
        {
          modelId: bytes(),
          inputDigest: bytes(),
          outputDigest: bytes(),
          traceRoot: bytes(),
          steps: rng.int(0, 2 ** 31),
        },
        account.address,
        BigInt(rng.int(0, 2 ** 30)) * 2n ** 20n,
      );
      const fast = signer.sign(receipt);
      expect(fast.signature).toBe((await signReceipt(receipt, account, domain)).signature);
      expect(await verifyReceipt(fast, domain)).toBe(true);
      expect(await verifyReceipt({ ...fast, outputDigest: toHex(bytes()) }, domain)).toBe(false);
    }
  });

  it('refuses a receipt that names another node', async () => {
    const signer = await createReceiptSigner(KEY, domain);
    const receipt = zeroReceipt('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
    expect(() => signer.sign(receipt)).toThrow(/names node 0x7099.* but the signing key is 0xf39F/);
  });

  it('signs with precomputed nonces: valid, low s, never the same nonce twice', async () => {
    const account = privateKeyToAccount(KEY);
    const signer = await createReceiptSigner(KEY, domain, { nonces: 'precomputed' });
    try {
      const rng = new Random(9);
      const bytes = () => Uint8Array.from(rng.ints(32, 0, 255));
      const rs = new Set<string>();
      for (let i = 0; i < 50; i++) {
        const receipt = makeReceipt(
          { modelId: bytes(), inputDigest: bytes(), outputDigest: bytes(), traceRoot: bytes(), steps: i },
          account.address,
          BigInt(i),
        );
        const signed = signer.sign(receipt);
        const again = signer.sign(receipt);
        expect(again.signature).not.toBe(signed.signature); // a fresh nonce each time
        for (const { signature } of [signed, again]) {
          expect(await verifyReceipt({ ...receipt, signature }, domain)).toBe(true);
          expect(BigInt(`0x${signature.slice(66, 130)}`)).toBeLessThanOrEqual(HALF_ORDER); // low s
          rs.add(signature.slice(2, 66));
        }
        expect(signed.signature).not.toBe((await signReceipt(receipt, account, domain)).signature);
        expect(await verifyReceipt({ ...signed, outputDigest: toHex(bytes()) }, domain)).toBe(false);
      }
      expect(rs.size).toBe(100);
    } finally {
      await signer.close();
    }
  });

  it('falls back to deterministic signatures when the nonce pool runs dry', async () => {
    const account = privateKeyToAccount(KEY);
    const signer = await createReceiptSigner(KEY, domain, { nonces: 'precomputed' });
    try {
      const receipt = zeroReceipt(account.address);
      // Synchronously, the worker cannot refill: past the pool, signatures are RFC 6979's.
      const signatures = Array.from({ length: 1200 }, () => signer.sign(receipt).signature);
      const deterministic = (await signReceipt(receipt, account, domain)).signature;
      expect(signatures[0]).not.toBe(deterministic);
      expect(signatures.at(-1)).toBe(deterministic);
      expect(new Set(signatures.filter((s) => s !== deterministic)).size).toBe(
        signatures.filter((s) => s !== deterministic).length,
      );
    } finally {
      await signer.close();
    }
  });
});
