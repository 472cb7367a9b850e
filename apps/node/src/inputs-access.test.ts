import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { DEV_KEYS } from './dev/deployment.js';
import { challengeAccessMessage, inputsAccess, type OpenDispute } from './inputs-access.js';

const node = privateKeyToAccount(DEV_KEYS.nodeA);
const challenger = privateKeyToAccount(DEV_KEYS.nodeB);
const stranger = privateKeyToAccount(DEV_KEYS.nodeC);
const root = `0x${'ab'.repeat(32)}` as Hex;
const other = `0x${'cd'.repeat(32)}` as Hex;

function access(disputes: Map<bigint, OpenDispute>, publicInputs = false) {
  return inputsAccess({
    nodeKey: DEV_KEYS.nodeA,
    node: node.address,
    publicInputs,
    openDispute: async (id) => disputes.get(id),
  });
}
const headers = (h: Record<string, string>) => (name: string) => h[name];

describe("who reads a receipt's inputs", () => {
  it('the client holding the token issued with that receipt, and no one else', async () => {
    const a = access(new Map());
    const token = a.tokenFor(root);
    expect(token).not.toContain(DEV_KEYS.nodeA.slice(2));
    expect(access(new Map()).tokenFor(root)).toBe(token); // survives a restart
    expect(await a.check(root, headers({ authorization: `Bearer ${token}` }))).toBeUndefined();
    expect(await a.check(other, headers({ authorization: `Bearer ${token}` }))).toMatch(/not the one issued/);
    expect(await a.check(root, headers({}))).toMatch(/readable by the client it was issued to/);
    expect(await a.check(root, headers({ authorization: 'Bearer nope' }))).toMatch(/readable by the client/);
  });

  it('the challenger of an open dispute on that receipt, proven by its signature', async () => {
    const a = access(new Map([[7n, { traceRoot: root, challenger: challenger.address }]]));
    const sign = (who: typeof challenger, id: bigint, traceRoot = root) =>
      who.signMessage({ message: challengeAccessMessage(traceRoot, id, node.address) });
    const ask = async (signature: string, id = '7', traceRoot = root) =>
      a.check(traceRoot, headers({ 'x-stoa-dispute': id, 'x-stoa-signature': signature }));
    expect(await ask(await sign(challenger, 7n))).toBeUndefined();
    expect(await ask(await sign(stranger, 7n))).toMatch(/not dispute 7's challenger's/);
    expect(await ask(await sign(challenger, 8n), '8')).toMatch(/no open dispute 8/);
    expect(await ask(await sign(challenger, 7n, other), '7', other)).toMatch(
      /no open dispute 7 .* on 0xcdcd/,
    );
    expect(await ask(await sign(challenger, 6n))).toMatch(/not dispute 7's challenger's/);
    expect(await ask('0x1234')).toMatch(/65-byte hex signature/);
  });

  it('anyone, where the operator opted in to public inputs', async () => {
    expect(await access(new Map(), true).check(root, headers({}))).toBeUndefined();
  });
});
