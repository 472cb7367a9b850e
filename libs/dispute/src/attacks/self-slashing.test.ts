/**
 * Finding 4 of issue 18: a node about to be slashed disputes a badly signed receipt of its own
 * claim from a second account it controls. Before: the whole slash went to that account at
 * once — the node lost nothing and skipped the unbonding delay. Now a slash burns all but a
 * capped reward, paid only after the unbonding delay.
 */
import {
  claimRegistryArtifact,
  DEV_PARAMETERS,
  disputeGameArtifact,
  type GameFixture,
  type LocalChain,
  openDispute,
  postClaim,
  stakeManagerArtifact,
  startAnvil,
} from '@stoa/contracts';
import type { Address, Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilAccount, honestReceipt, smallGame } from './helpers.js';

const node = anvilAccount(1);
const sock = anvilAccount(2);

let chain: LocalChain;
let f: GameFixture;

beforeAll(async () => {
  chain = await startAnvil();
  f = await smallGame(chain, node);
});
afterAll(async () => {
  await chain?.stop();
});

/** Everything the node's two accounts own: wallets, stake, and what the contracts owe them. */
async function wealth(accounts: Address[]): Promise<bigint> {
  let total = 0n;
  const owed = async (address: Address, abi: readonly unknown[], fn: string, who: Address) => {
    try {
      const value = await f.h.read(address, abi, fn, [who]);
      return Array.isArray(value)
        ? (value as bigint[]).slice(0, 2).reduce((a, b) => a + b, 0n)
        : (value as bigint);
    } catch {
      return 0n; // a contract without that ledger (the code before the fix)
    }
  };
  for (const who of accounts) {
    total += await f.h.reader.getBalance({ address: who });
    total += await owed(f.at.stakeManager, stakeManagerArtifact.abi, 'accounts', who);
    total += await owed(f.at.stakeManager, stakeManagerArtifact.abi, 'rewards', who);
    total += await owed(f.at.disputeGame, disputeGameArtifact.abi, 'credit', who);
    total += await owed(f.at.claimRegistry, claimRegistryArtifact.abi, 'credit', who);
  }
  return total;
}

describe('self-slashing (issue 18, finding 4)', () => {
  it('a node disputing its own bad receipt from another account loses most of the slash and gets nothing early', async () => {
    const { receipt } = await honestReceipt(f, 1n);
    // A broken signature (v = 29): the node loses a dispute on it at once.
    const bad = { ...receipt, signature: `${receipt.signature.slice(0, -2)}1d` as Hex };
    const before = await wealth([node.address, sock.address]);
    const { claimId, batch } = await postClaim(f, [bad]);
    const disputeId = await openDispute(f, sock, claimId, batch, 0);
    const game = (await f.h.read(f.at.disputeGame, disputeGameArtifact.abi, 'get', [disputeId])) as {
      challengerWon: boolean;
    };
    expect(game.challengerWon).toBe(true);

    // The node's accounts together lost the slash less the reward (at most half of it in any
    // sane configuration; 20 % here).
    const lost = before - (await wealth([node.address, sock.address]));
    expect(lost).toBeGreaterThanOrEqual(DEV_PARAMETERS.slashAmount / 2n);

    // What the sock can take out now is its own bond and the node's claim bond, no stake.
    const now = (await f.h.read(f.at.disputeGame, disputeGameArtifact.abi, 'credit', [
      sock.address,
    ])) as bigint;
    expect(now).toBeLessThanOrEqual(DEV_PARAMETERS.challengeBond + DEV_PARAMETERS.claimBond);
    await expect(
      f.h.simulate(sock, f.at.stakeManager, stakeManagerArtifact.abi, 'withdrawReward', []),
    ).rejects.toThrow(/StillUnbonding/);
  });
});
