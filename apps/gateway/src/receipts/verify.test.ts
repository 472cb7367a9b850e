import { execute, randomGraph } from '@stoa/ir';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { createReceiptRecoverer } from './verify.js';

const domain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const;

describe("the gateway's receipt signature check", () => {
  it('verifies against a known signer key only what that key signed, and recovers anything else', async () => {
    const node = privateKeyToAccount(generatePrivateKey());
    const other = privateKeyToAccount(generatePrivateKey());
    const { model, inputs } = randomGraph(3);
    const sign = async (account: typeof node, nonce: bigint) =>
      (await execute(model, inputs, { sign: { account, domain, nonce } })).receipt!;
    const recover = await createReceiptRecoverer(domain);
    const first = recover(await sign(node, 1n))!;
    expect(first.address).toBe(node.address.toLowerCase());
    // The known key answers for a receipt it signed (the fast path) ...
    expect(recover(await sign(node, 2n), first)).toBe(first);
    // ... and never for one another key signed, or one altered after signing.
    const foreign = recover(await sign(other, 3n), first)!;
    expect(foreign.address).toBe(other.address.toLowerCase());
    const altered = { ...(await sign(node, 4n)), steps: 999 };
    expect(recover(altered, first)?.address).not.toBe(node.address.toLowerCase());
    expect(recover({ ...altered, signature: '0x1234' }, first)).toBeUndefined();
    // The nonce as it travels (a decimal string) reads as the bigint; a field that is not exactly
    // its width of hex is refused, not cut to it.
    const signed = await sign(node, 5n);
    expect(recover({ ...signed, nonce: '5' }, first)).toBe(first);
    expect(recover({ ...signed, modelId: `${signed.modelId}00` }, first)).toBeUndefined();
    expect(recover({ ...signed, node: `0x${signed.node.slice(2, -1)}g` }, first)).toBeUndefined();
    // The same buffers serve the next receipt: a refused one leaves nothing behind.
    expect(recover(signed, first)).toBe(first);
  });
});
