import {
  type ChallengeStatus,
  challenge,
  createStoaClient,
  depositBond,
  infer,
  type StoaError,
  waitForChallenge,
} from '@stoa/client';
import {
  challengeBondsArtifact,
  DEV_PARAMETERS,
  disputeGameArtifact,
  stakeManagerArtifact,
} from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type Address, type Hex, keccak256, parseEther, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from './server.js';
import { type GatewayProcess, spawnGateway } from './testing/process.js';
import { DEV_KEYS, type Stack, startStack, TEST_MODEL_NAME } from './testing/stack.js';

/** Anvil's sixth dev account: a client with its own key, used nowhere else in the stack. */
const CLIENT_KEY: Hex = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba';
const clientAccount = privateKeyToAccount(CLIENT_KEY);
const agent = privateKeyToAccount(DEV_KEYS.nodeD);
const { challengeBond, claimBond, slashAmount } = DEV_PARAMETERS;
const liar = privateKeyToAccount(DEV_KEYS.nodeA).address;
const honest = privateKeyToAccount(DEV_KEYS.nodeB).address;

let stack: Stack;
let gateway: RunningGateway | undefined;
let client: ReturnType<typeof createStoaClient>;
const logged: string[] = [];

beforeAll(async () => {
  const { model } = importMnistModel('cnn');
  const claimsFast = { STOA_BATCH_SIZE: '4', STOA_BATCH_MAX_AGE_MS: '1500' };
  stack = await startStack(
    model,
    [
      // The node's own fault switch: one layer consistently wrong, receipts properly signed.
      { network: 'akash', key: DEV_KEYS.nodeA, env: { ...claimsFast, STOA_TEST_FAULT: 'perturb:3' } },
      { network: 'ionet', key: DEV_KEYS.nodeB, env: claimsFast },
    ],
    { parameters: { challengeWindow: 3600n } },
  );
  gateway = await stack.startGateway({
    challenger: agent,
    log: (level, msg, fields) => logged.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`),
  });
  client = createStoaClient({ baseUrl: gateway.url, apiKey: await stack.createKey() });
}, 300_000);
afterAll(async () => {
  await gateway?.stop();
  await stack?.stop();
});

const read = (address: Address, abi: readonly unknown[], fn: string, args: unknown[] = []) =>
  stack.deployment.client.read(address, abi, fn, args);
const credit = async (who: Address) =>
  (await read(stack.deployment.at.disputeGame, disputeGameArtifact.abi, 'credit', [who])) as bigint;
const rewardOwed = async (who: Address) =>
  (
    (await read(stack.deployment.at.stakeManager, stakeManagerArtifact.abi, 'rewards', [who])) as bigint[]
  )[1]!;

/**
 * Answers to one input from each network whose outputs differ: the liar's (akash; its wrong
 * layer does not always reach the output) and the honest node's (ionet).
 */
async function answersFromBothNetworks(client: ReturnType<typeof createStoaClient>) {
  const images = loadMnist('test').images;
  for (let i = 0; i < 30; i++) {
    const inputs = [Array.from(images.subarray(784 * i, 784 * (i + 1)))];
    const byNetwork = new Map<string, Awaited<ReturnType<typeof infer>>>();
    for (let tries = 0; tries < 12 && byNetwork.size < 2; tries++) {
      const answer = await infer(client, { model: TEST_MODEL_NAME, inputs });
      byNetwork.set(answer.network, answer);
    }
    const [lie, truth] = [byNetwork.get('akash'), byNetwork.get('ionet')];
    if (lie && truth && lie.receipt.outputDigest !== truth.receipt.outputDigest)
      return { lie: lie.id, truth: truth.id };
  }
  throw new Error('no input on which the liar’s output differs');
}

async function refusal(id: string, body: unknown): Promise<StoaError> {
  return (await client
    .request('POST', `/v1/receipts/${id}/challenge`, body)
    .catch((e: unknown) => e)) as StoaError;
}

describe('a challenge paid from the client’s bond, played by the gateway', () => {
  it('slashes a lying node and pays the client bond + reward; an honest node keeps its stake and wins the bond', async () => {
    const deposited = await depositBond(client, {
      account: clientAccount,
      amount: 2n * challengeBond,
      rpcUrl: stack.deployment.chain.rpcUrl,
    });
    expect(deposited.deposit).toBe(2n * challengeBond);
    const { lie, truth } = await answersFromBothNetworks(client);
    expect(lie && truth).toBeTruthy();

    // Bad input: 400 naming the field; no key: 401.
    const bad = await refusal(lie, { client: clientAccount.address, authorization: { maxBond: 'lots' } });
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/^authorization\.receiptDigest:/);
    const wrongBond = await refusal(lie, {
      client: clientAccount.address,
      authorization: {
        receiptDigest: `0x${'00'.repeat(32)}`,
        maxBond: 'lots',
        agent: agent.address,
        deadline: 1,
        nonce: 1,
      },
      signature: `0x${'00'.repeat(65)}`,
    });
    expect(wrongBond.message).toMatch(/^authorization\.maxBond:/);
    const unsigned = await refusal(lie, {
      client: clientAccount.address,
      authorization: {
        receiptDigest: `0x${'00'.repeat(32)}`,
        maxBond: '1',
        agent: agent.address,
        deadline: 1,
        nonce: 1,
      },
      signature: `0x${'00'.repeat(65)}`,
    });
    expect(unsigned.message).toMatch(/^authorization\.receiptDigest: not this receipt/);
    const anonymous = await fetch(`${gateway!.url}/v1/receipts/${lie}/challenge`, { method: 'POST' });
    expect(anonymous.status).toBe(401);

    const stakes = {
      liar: await stack.deployment.bondedOf(liar),
      honest: await stack.deployment.bondedOf(honest),
    };
    const honestCredit = await credit(honest);
    const opened = await Promise.all(
      [lie, truth].map((id) => challenge(client, id, { account: clientAccount, bond: challengeBond })),
    );
    for (const status of opened)
      expect(status).toMatchObject({ state: 'open', client: clientAccount.address });
    const [against, vain] = opened as [ChallengeStatus, ChallengeStatus];
    expect(against.gatewayVerdict).toMatch(/^wrong/);
    expect(vain.gatewayVerdict).toMatch(/right/);
    const again = await challenge(client, lie, { account: clientAccount, bond: challengeBond }).catch(
      (e: unknown) => e,
    );
    expect((again as StoaError).code).toBe('challenge_exists');

    const [won, lost] = await Promise.all(
      [lie, truth].map((id) => waitForChallenge(client, id, { pollMs: 500, timeoutMs: 240_000 })),
    );
    expect(won).toMatchObject({ state: 'resolved', outcome: 'challenger_won' });
    expect(lost).toMatchObject({ state: 'resolved', outcome: 'node_won' });
    expect(await stack.deployment.bondedOf(liar)).toBe(stakes.liar - slashAmount);
    expect(await stack.deployment.bondedOf(honest)).toBe(stakes.honest);
    expect(await credit(honest)).toBe(honestCredit + challengeBond);
    expect(await credit(agent.address)).toBe(0n);
    const bonds = (await read(stack.deployment.at.disputeGame, disputeGameArtifact.abi, 'bonds')) as Address;
    expect(await read(bonds, challengeBondsArtifact.abi, 'deposits', [clientAccount.address])).toBe(0n);

    // The client's winnings: the bond and the forfeited claim bond now, the slash reward after the unbonding delay.
    const reward = await rewardOwed(clientAccount.address);
    expect(reward).toBe((slashAmount * DEV_PARAMETERS.rewardBps) / 10_000n);
    const chain = stack.deployment.client;
    const before = await chain.reader.getBalance({ address: clientAccount.address });
    const paid = await chain.send(
      clientAccount,
      stack.deployment.at.disputeGame,
      disputeGameArtifact.abi,
      'withdraw',
    );
    await chain.reader.request({
      method: 'evm_increaseTime',
      params: [Number(DEV_PARAMETERS.unbondingDelay) + 1],
    } as never);
    await chain.reader.request({ method: 'evm_mine', params: [] } as never);
    const rewarded = await chain.send(
      clientAccount,
      stack.deployment.at.stakeManager,
      stakeManagerArtifact.abi,
      'withdrawReward',
    );
    const gas = [paid, rewarded].reduce(
      (sum, s) => sum + s.receipt.gasUsed * s.receipt.effectiveGasPrice,
      0n,
    );
    expect((await chain.reader.getBalance({ address: clientAccount.address })) - before).toBe(
      challengeBond + claimBond + reward - gas,
    );
    // The client's key never reached the gateway, so never its log.
    expect(logged.join('\n')).not.toContain(CLIENT_KEY.slice(2));
  }, 400_000);
});

describe('a client challenge across a kill -9 of the gateway', () => {
  it('is resumed from the database by the restarted gateway and finished: the node slashed, the client paid', async () => {
    // Only the gateway process below plays: the in-process one would take the game up too.
    await gateway?.stop();
    gateway = undefined;
    // Slashed by the test above, the liar is unstaked and the gateway no longer routes to it: it stakes again.
    if ((await stack.deployment.bondedOf(liar)) < DEV_PARAMETERS.minStake)
      await stack.deployment.client.send(
        privateKeyToAccount(DEV_KEYS.nodeA),
        stack.deployment.at.stakeManager,
        stakeManagerArtifact.abi,
        'stake',
        [],
        DEV_PARAMETERS.minStake,
      );
    const payer = privateKeyToAccount(keccak256(toHex('a client whose gateway restarts')));
    await stack.deployment.client.reader.request({
      method: 'anvil_setBalance',
      params: [payer.address, toHex(parseEther('10'))],
    } as never);
    const env = {
      ...stack.gatewayEnv(`${stack.stoaDir}/challenge-spool`),
      STOA_GATEWAY_CHALLENGER_KEY: 'env:STOA_TEST_AGENT_KEY',
      STOA_TEST_AGENT_KEY: DEV_KEYS.nodeD,
    };
    let child: GatewayProcess = await spawnGateway(env);
    const apiKey = await stack.createKey();
    try {
      const first = createStoaClient({ baseUrl: child.url, apiKey });
      await depositBond(first, {
        account: payer,
        amount: challengeBond,
        rpcUrl: stack.deployment.chain.rpcUrl,
      });
      const { lie } = await answersFromBothNetworks(first);
      const stake = await stack.deployment.bondedOf(liar);
      const creditBefore = await credit(payer.address);
      // The test above moved the chain's clock past the unbonding delay: valid for an hour of chain time.
      const { timestamp } = await stack.deployment.client.reader.getBlock();
      const validForSeconds = Number(timestamp) - Math.floor(Date.now() / 1000) + 3600;
      const opened = await challenge(first, lie, { account: payer, bond: challengeBond, validForSeconds });
      expect(opened.error, JSON.stringify(child.logs.slice(-5))).toBeUndefined();
      expect(opened).toMatchObject({ state: 'open', client: payer.address });
      // Mid-game: the agent has moved at least once (the game has left its first two phases).
      const phases = new Set<number>();
      for (let i = 0; i < 100 && phases.size < 3; i++) {
        const status = await first.request<ChallengeStatus>('GET', `/v1/receipts/${lie}/challenge`);
        if (status.phase !== undefined) phases.add(status.phase);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(phases.size).toBeGreaterThanOrEqual(3);
      await child.kill();
      const row = await stack.db.clientChallenge.findUniqueOrThrow({ where: { receiptId: lie } });
      expect(row).toMatchObject({ state: 'open', client: payer.address, payee: payer.address });
      expect(row.leaseOwner).not.toBeNull();
      expect(JSON.stringify(row)).not.toContain(DEV_KEYS.nodeD.slice(2));

      child = await spawnGateway(env);
      const second = createStoaClient({ baseUrl: child.url, apiKey });
      const won = await waitForChallenge(second, lie, { pollMs: 500, timeoutMs: 180_000 });
      expect(won).toMatchObject({ state: 'resolved', outcome: 'challenger_won' });
      expect(child.logs.some((l) => l.msg === 'resuming a client challenge' && l.id === lie)).toBe(true);
      expect(await stack.deployment.bondedOf(liar)).toBe(stake - slashAmount);
      // The client is paid: its bond back and the node's forfeited claim bond, the reward owed.
      expect(await credit(payer.address)).toBe(creditBefore + challengeBond + claimBond);
      expect(await rewardOwed(payer.address)).toBe((slashAmount * DEV_PARAMETERS.rewardBps) / 10_000n);
      expect(await stack.db.clientChallenge.findUniqueOrThrow({ where: { receiptId: lie } })).toMatchObject({
        state: 'resolved',
        outcome: 'challenger_won',
        leaseOwner: null,
      });
    } finally {
      await child.stop();
    }
  }, 300_000);
});
