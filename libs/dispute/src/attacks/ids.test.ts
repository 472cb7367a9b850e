/**
 * Finding 5 of issue 18: claim and dispute ids must come from the mined transaction, not from
 * the simulation that preceded it. Two parties sending in the same block both simulate against
 * the same state; only the mined events say which id each got.
 */
import {
  chainClient,
  claimRegistryArtifact,
  DEV_ACCOUNTS,
  disputeGameArtifact,
  ensureRegistration,
  type GameFixture,
  honestView,
  type LocalChain,
  postClaim,
  setUpGame,
  signView,
  stakeManagerArtifact,
  startAnvil,
} from '@stoa/contracts';
import { randomGraph } from '@stoa/ir';
import { createTestClient, http, parseEther } from 'viem';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChallenge } from '../challenger.js';

const [deployer, node, alice, bob] = DEV_ACCOUNTS;

let chain: LocalChain;
let f: GameFixture;

beforeAll(async () => {
  chain = await startAnvil();
  const { model } = randomGraph(3);
  f = await setUpGame(chain, chainClient(chain.rpcUrl), deployer, node, model);
});
afterAll(async () => {
  await chain?.stop();
});

/**
 * Runs `sends` with automine off, mines them into one block once all are pending. A send that
 * fails before reaching the pool surfaces its own error instead of leaving the wait to time out.
 */
async function inOneBlock<T>(sends: (() => Promise<T>)[]): Promise<T[]> {
  const test = createTestClient({ mode: 'anvil', chain: foundry, transport: http(chain.rpcUrl) });
  await test.setAutomine(false);
  try {
    let failed: unknown;
    const results = Promise.all(sends.map((send) => send()));
    results.catch((error: unknown) => {
      failed = error ?? new Error('a send failed');
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (failed) throw failed;
      const pool = await test.getTxpoolStatus();
      if (pool.pending >= sends.length) break;
      if (Date.now() > deadline)
        throw new Error(
          `only ${pool.pending} of ${sends.length} transactions pending after 60 s (queued: ${pool.queued}): ${JSON.stringify(await test.getTxpoolContent(), (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    await test.mine({ blocks: 1 });
    return await results;
  } finally {
    await test.setAutomine(true);
  }
}

describe('ids come from mined events (issue 18, finding 5)', () => {
  it('two challengers opening in the same block each follow their own dispute', async () => {
    const view = await honestView(f.model, randomGraph(3).inputs);
    const receipt = await signView(f, view, 1n);
    const { claimId } = await postClaim(f, [receipt]);
    const open = (account: typeof alice) => () =>
      openChallenge({
        client: chainClient(chain.rpcUrl),
        account,
        addresses: f.at,
        claimId,
        receipts: [receipt],
        index: 0,
        view,
      });
    const [a, b] = await inOneBlock([open(alice), open(bob)]);
    expect(a!.options.disputeId).not.toBe(b!.options.disputeId);
    for (const [player, account] of [
      [a!, alice],
      [b!, bob],
    ] as const) {
      const dispute = (await f.h.read(f.at.disputeGame, disputeGameArtifact.abi, 'get', [
        player.options.disputeId,
      ])) as { challenger: string };
      expect(dispute.challenger).toBe(account.address);
    }
  });

  it('two nodes posting in the same block each get their own claim id', async () => {
    await f.h.send(bob, f.at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('2'));
    await ensureRegistration(f.h, f.at, bob, f.model);
    const view = await honestView(f.model, randomGraph(3).inputs);
    const mine = await signView(f, view, 2n);
    // Each node has its own client, as real nodes do. Two sends waiting on one viem client share
    // one block watcher, and a waiter that joins it after the only block was announced never
    // hears of it: with blocks mined by hand here, that was a 120 s hang in CI.
    const other = { ...f, h: chainClient(chain.rpcUrl), node: bob };
    const theirs = await signView(other, view, 1n);
    const [a, b] = await inOneBlock([() => postClaim(f, [mine]), () => postClaim(other, [theirs])]);
    expect(a!.claimId).not.toBe(b!.claimId);
    const nodeOf = async (claimId: bigint) =>
      ((await f.h.read(f.at.claimRegistry, claimRegistryArtifact.abi, 'get', [claimId])) as { node: string })
        .node;
    expect(await nodeOf(a!.claimId)).toBe(node.address);
    expect(await nodeOf(b!.claimId)).toBe(bob.address);
  });
});
