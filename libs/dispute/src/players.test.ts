import {
  challengerFromView,
  DEV_PARAMETERS,
  type ExecutionView,
  honestView,
  type LocalChain,
  startAnvil,
} from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type Model, quantizeInput, Random } from '@stoa/ir';
import { createTestClient, http, keccak256, type PrivateKeyAccount, parseEther, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChallenge } from './challenger.js';
import { DisputePlayer } from './player.js';
import { perturbValue } from './testing/faults.js';
import { TestNetwork, WATCHER } from './testing/network.js';

let chain: LocalChain;
let cnn: Model;
let honest: ExecutionView;

beforeAll(async () => {
  chain = await startAnvil();
  cnn = importMnistModel('cnn').model;
  honest = await honestView(cnn, [quantizeInput(cnn.graph, 0, loadMnist('test').images.subarray(0, 784))]);
});
afterAll(async () => {
  await chain?.stop();
});

/** Opens a dispute on the node's only claim, played by a challenger that lies at random. */
async function liarChallenge(
  net: TestNetwork,
  claimId: bigint,
  seed: number,
  account: PrivateKeyAccount = WATCHER,
): Promise<DisputePlayer> {
  const receipts = net.claimer.receiptsOf(claimId)!;
  const opened = await openChallenge({
    client: net.client,
    account,
    addresses: net.fixture.at,
    claimId,
    receipts,
    index: 0,
    view: honest,
  });
  return new DisputePlayer({
    ...opened.options,
    strategy: challengerFromView(account, honest, { random: new Random(seed) }),
  });
}

describe('an honest node against dishonest challengers', () => {
  it('wins 50 games against challengers that answer every round at random, and is never slashed', async () => {
    // All 50 games are open on the one claim at once, past the default cap of 16.
    const net = await TestNetwork.start(chain, cnn, { arity: 4n, maxOpenDisputes: 50n });
    try {
      await net.answer(honest, 1n);
      await net.claimer.flush();
      const claimId = net.claimer.batches()[0]!.claimId!;
      const stake = await net.bonded();
      const defender = await net.defender();
      // The 50 games run at the same time, as a node facing many challengers plays them. Played
      // one after another, each of the games' ~6,500 JSON-RPC round trips (2-3 ms of CPU each)
      // waited on the last: 15 s alone, 200 s beside CI's other suites. At once, with requests
      // of the same tick batched, ~2,600 HTTP requests, mostly concurrent (docs/decisions.md).
      // Each challenger has its own account, so that their moves do not queue on one nonce.
      const test = createTestClient({ mode: 'anvil', chain: foundry, transport: http(chain.rpcUrl) });
      const liars = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const account = privateKeyToAccount(keccak256(toHex(`challenger ${i}`)));
          await test.setBalance({ address: account.address, value: parseEther('10') });
          return liarChallenge(net, claimId, i + 1, account);
        }),
      );
      const outcomes = new Map<number, Awaited<ReturnType<DisputePlayer['step']>>>();
      for (let moves = 0; moves < 200 && outcomes.size < liars.length; moves++) {
        await defender.poll();
        await Promise.all(
          liars.map(async (liar, i) => {
            if (outcomes.has(i)) return;
            const outcome = await liar.step();
            if (outcome.kind === 'over') outcomes.set(i, outcome);
          }),
        );
      }
      expect(outcomes.size).toBe(50);
      for (const outcome of outcomes.values()) expect(outcome).toMatchObject({ kind: 'over', won: false });
      await defender.poll();
      expect([...defender.defences.values()].map((d) => d.outcome)).toEqual(Array(50).fill('won'));
      expect(await net.bonded()).toBe(stake);
    } finally {
      await net.stop();
    }
  }, 480_000);

  it('wins on the clock against a challenger that stops answering', async () => {
    const net = await TestNetwork.start(chain, cnn, { clockSeconds: 600n });
    try {
      await net.answer(honest, 1n);
      await net.claimer.flush();
      const stake = await net.bonded();
      const claimId = net.claimer.batches()[0]!.claimId!;
      const silent = await liarChallenge(net, claimId, 1);
      const defender = await net.defender();
      for (let i = 0; i < 3; i++) await defender.poll(); // final step, then the first trace nodes
      await silent.step(); // one pick, then silence
      await defender.poll();
      await net.client.advance(601n);
      await defender.poll();
      expect([...defender.defences.values()][0]).toMatchObject({ outcome: 'won' });
      expect(await net.resolutionReasons()).toEqual(['the party to move ran out of time']);
      expect(await net.bonded()).toBe(stake);
    } finally {
      await net.stop();
    }
  });

  it('resumes after a restart of the node’s defender, mid-game, and wins', async () => {
    const net = await TestNetwork.start(chain, cnn);
    try {
      await net.answer(honest, 1n);
      await net.claimer.flush();
      const liar = await liarChallenge(net, net.claimer.batches()[0]!.claimId!, 7);
      const first = await net.defender();
      for (let i = 0; i < 4; i++) {
        await first.poll();
        await liar.step();
      }
      // The defender process dies; a new one opens the same directory and trace store.
      const second = await net.defender();
      let outcome: Awaited<ReturnType<DisputePlayer['step']>> | undefined;
      for (let moves = 0; moves < 200 && outcome?.kind !== 'over'; moves++) {
        await second.poll();
        outcome = await liar.step();
      }
      expect(outcome).toMatchObject({ kind: 'over', won: false });
    } finally {
      await net.stop();
    }
  });
});

describe('an honest watcher against a dishonest node', () => {
  it('resumes after a restart mid-game without opening a second dispute, and wins', async () => {
    const net = await TestNetwork.start(chain, cnn);
    try {
      await net.answer(perturbValue(honest, 5, 3), 1n);
      await net.claimer.flush();
      const stake = await net.bonded();
      const defender = await net.defender();
      const first = await net.watcher();
      for (let i = 0; i < 5; i++) {
        await first.poll();
        await defender.poll();
      }
      expect(first.openDisputes).toHaveLength(1);
      const second = await net.watcher(); // same directory: a restarted watcher
      expect(second.openDisputes).toEqual(first.openDisputes);
      await net.settle(defender, second);
      expect(second.report()).toMatchObject({ disputesWon: 1, disputesOpened: 0 });
      expect(await net.bonded()).toBe(stake - DEV_PARAMETERS.slashAmount);
      expect(await net.resolutionReasons()).toEqual([expect.stringMatching(/one-step verifier disagrees/)]);
    } finally {
      await net.stop();
    }
  });
});
