import { challenge, createStoaClient, infer, StoaError, verifyReceipt } from '@stoa/client';
import { DEV_PARAMETERS } from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { runLoad } from '@stoa/node';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from './server.js';
import { DEV_KEYS, type Stack, startStack, TEST_MODEL_NAME } from './testing/stack.js';

let stack: Stack;
let gateway: RunningGateway;
let bodies: string[];
const address = (key: `0x${string}`) => privateKeyToAccount(key).address.toLowerCase();

/** A seeded generator (mulberry32): the sample is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(async () => {
  const { model } = importMnistModel('cnn');
  const images = loadMnist('test').images;
  bodies = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({ inputs: [Array.from(images.subarray(784 * i, 784 * (i + 1)))] }),
  );
  const claimsFast = { STOA_BATCH_SIZE: '4', STOA_BATCH_MAX_AGE_MS: '2000' };
  stack = await startStack(
    model,
    [
      // The node's own fault switch: one layer consistently wrong, receipts properly signed.
      { network: 'akash', key: DEV_KEYS.nodeA, env: { ...claimsFast, STOA_TEST_FAULT: 'perturb:3' } },
      { network: 'ionet', key: DEV_KEYS.nodeB, env: claimsFast },
      { network: 'ionet', key: DEV_KEYS.nodeC, env: claimsFast },
    ],
    { parameters: { challengeWindow: 3600n } },
  );
  gateway = await stack.startGateway({
    spotCheckRate: 0.05,
    random: seeded(12),
    challenger: privateKeyToAccount(DEV_KEYS.nodeD),
  });
}, 300_000);
afterAll(async () => {
  await gateway?.stop();
  await stack?.stop();
});

/**
 * `verify: "replicate"`: each answer is executed on both networks before it leaves. Answered by
 * the liar (akash) on an input its wrong layer reaches the output, the request fails with
 * `replicas_disagree` and the check is recorded; agreeing answers carry the check.
 */
async function verifiesByReplication(client: ReturnType<typeof createStoaClient>) {
  const before = await stack.db.spotCheck.count();
  let agreed = 0;
  let refused: StoaError | undefined;
  for (let i = 0; i < 40 && !(agreed > 0 && refused); i++) {
    const inputs = JSON.parse(bodies[i % bodies.length]!).inputs;
    const answer = await infer(client, { model: TEST_MODEL_NAME, inputs, verify: 'replicate' }).catch(
      (e: unknown) => e,
    );
    if (answer instanceof StoaError) refused = answer;
    else {
      const { verification, network } = answer as Awaited<ReturnType<typeof infer>>;
      expect(verification?.outcome).toBe('match');
      expect(verification?.checkNetwork).not.toBe(network);
      agreed++;
    }
  }
  expect(agreed).toBeGreaterThan(0);
  expect(refused?.status).toBe(502);
  expect(refused?.code).toBe('replicas_disagree');
  expect(refused?.message).toMatch(/replication/);
  const checks = await stack.db.spotCheck.findMany({ orderBy: { createdAt: 'asc' }, skip: before });
  expect(checks.filter((c) => c.outcome === 'mismatch').length).toBeGreaterThan(0);
  expect(checks.filter((c) => c.outcome === 'match').length).toBe(agreed);
}

describe('spot checks at a 5% sample rate', () => {
  it('@stoa/client: infers, verifies the receipt locally, challenges it, and reads errors', async () => {
    // Its own gateway with no challenger: a mismatch here is recorded, the disputes are the spot checks'.
    const plain = await stack.startGateway();
    const client = createStoaClient({ baseUrl: plain.url, apiKey: await stack.createKey() });
    const domain = {
      chainId: stack.deployment.chain.chainId,
      verifyingContract: stack.deployment.at.claimRegistry,
    };
    const answer = await infer(client, { model: TEST_MODEL_NAME, inputs: JSON.parse(bodies[3]!).inputs });
    expect(answer.outputs[0]!.data).toHaveLength(10);
    expect(
      await verifyReceipt({ receipt: answer.receipt, domain, modelId: stack.deployment.modelId }),
    ).toEqual({ ok: true });
    const forged = { ...answer.receipt, outputDigest: `0x${'11'.repeat(32)}` as `0x${string}` };
    expect((await verifyReceipt({ receipt: forged, domain })).ok).toBe(false);
    const checked = await challenge(client, answer.id);
    expect(['match', 'mismatch']).toContain(checked.outcome);
    // The replay ran on the other network than the answer's.
    expect(checked.checkNetwork).not.toBe(answer.network);
    const refused = await infer(client, { model: 'no-such-model', inputs: [[1]] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoaError);
    expect((refused as StoaError).code).toBe('model_not_found');
    await verifiesByReplication(client);
    await plain.stop();
    await stack.db.spotCheck.deleteMany();
  });

  it('catch a dishonest replica, dispute it and get it slashed on chain; honest replicas are never disputed', async () => {
    const liar = address(DEV_KEYS.nodeA);
    const honest = [address(DEV_KEYS.nodeB), address(DEV_KEYS.nodeC)];
    const stakeBefore = await stack.deployment.bondedOf(liar as `0x${string}`);
    expect(stakeBefore).toBe(DEV_PARAMETERS.minStake);
    const key = await stack.createKey();
    let next = 0;
    const deadline = Date.now() + 150_000;
    let sent = 0;
    // Traffic until a spot check has opened a dispute (a few hundred requests at most).
    while (
      Date.now() < deadline &&
      (await stack.db.spotCheck.count({ where: { outcome: 'disputed' } })) === 0
    ) {
      const report = await runLoad(
        async () => {
          const response = await fetch(`${gateway.url}/v1/models/${TEST_MODEL_NAME}/infer`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: bodies[next++ % bodies.length],
          });
          if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
          await response.arrayBuffer();
        },
        { seconds: 3, concurrency: 6 },
      );
      sent += report.requests;
      expect(report.errors, report.firstError).toBe(0);
    }
    const checks = await stack.db.spotCheck.findMany();
    console.log(
      `${sent} requests, ${checks.length} spot checks: ${['match', 'mismatch', 'disputed', 'unavailable'].map((o) => `${o} ${checks.filter((c) => c.outcome === o).length}`).join(', ')}`,
    );
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.length).toBeLessThan(sent * 0.15); // sampled, not every request
    const disputed = checks.filter((c) => c.outcome === 'disputed');
    expect(disputed.length).toBeGreaterThan(0);
    for (const c of disputed) expect(c.detail.split('disputed node ')[1]).toBe(liar);
    // A 'match' may involve the liar (its wrong layer can vanish before the output); spot checks
    // compare outputs, and only a wrong receipt found by re-execution is ever disputed.
    // The game is played to its end on chain: seconds here, minutes beside CI's other suites.
    const slashedBy = Date.now() + 360_000;
    while ((await stack.deployment.bondedOf(liar as `0x${string}`)) >= stakeBefore) {
      if (Date.now() > slashedBy) throw new Error('the dishonest node was not slashed in time');
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const h of honest)
      expect(await stack.deployment.bondedOf(h as `0x${string}`)).toBe(DEV_PARAMETERS.minStake);
  }, 600_000); // the dispute game is played to its end on chain
});
