import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { toHex } from '../commit/hash.js';
import { modelId } from '../encoding/codec.js';
import { randomGraph } from '../testing/random-graph.js';
import { execute } from './execute.js';
import { verifyReceipt } from './receipt.js';

// Well-known anvil development keys: never hold value.
const node = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const other = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const domain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const;

describe('signed receipts', () => {
  it('binds model, input, output, trace root, steps, node and nonce', async () => {
    const { model, inputs } = randomGraph(9);
    const { receipt, trace } = await execute(model, inputs, { sign: { account: node, domain, nonce: 7n } });
    expect(receipt!.modelId).toBe(toHex(modelId(model)));
    expect(receipt!.traceRoot).toBe(toHex(trace!.traceRoot));
    expect(receipt!.steps).toBe(model.schedule.length);
    expect(await verifyReceipt(receipt!, domain)).toBe(true);

    const tampered = [
      { ...receipt!, outputDigest: toHex(new Uint8Array(32).fill(1)) },
      { ...receipt!, traceRoot: toHex(new Uint8Array(32).fill(2)) },
      { ...receipt!, steps: receipt!.steps + 1 },
      { ...receipt!, nonce: 8n },
      { ...receipt!, node: other.address },
    ];
    for (const r of tampered) expect(await verifyReceipt(r, domain)).toBe(false);
    expect(await verifyReceipt(receipt!, { ...domain, chainId: 1 })).toBe(false);
    expect(await verifyReceipt({ ...receipt!, signature: '0x1234' }, domain)).toBe(false);
  });

  it('produces no valid receipt from a key that is not the named node key', async () => {
    const { model, inputs } = randomGraph(9);
    const impostor = { ...other, address: node.address };
    const { receipt } = await execute(model, inputs, { sign: { account: impostor, domain, nonce: 1n } });
    expect(await verifyReceipt(receipt!, domain)).toBe(false);
  });
});
