import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { toHex } from '../commit/hash.js';
import { Random } from '../testing/random.js';
import { makeReceipt, signReceipt, verifyReceipt } from './receipt.js';
import { createReceiptSigner } from './receipt-signer.js';

// Well-known anvil development key: never holds value.
const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
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
    const receipt = makeReceipt(
      {
        modelId: new Uint8Array(32),
        inputDigest: new Uint8Array(32),
        outputDigest: new Uint8Array(32),
        traceRoot: new Uint8Array(32),
        steps: 1,
      },
      '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      1n,
    );
    expect(() => signer.sign(receipt)).toThrow(/names node 0x7099.* but the signing key is 0xf39F/);
  });
});
