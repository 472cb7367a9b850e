import { DEV_PARAMETERS } from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type Model, quantizeInput, type SignedReceipt, verifyReceipt } from '@stoa/ir';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINARY_INPUTS_CONTENT_TYPE, encodeBinaryInputs } from './binary-inputs.js';
import { DEV_KEYS, Deployment } from './dev/deployment.js';
import { type NodeProcess, spawnNode } from './dev/process.js';
import { batchBody, INFER_BATCH_CONTENT_TYPE, MAX_BATCH_ITEMS } from './infer-batch.js';

let model: Model;
let digits: number[][];

beforeAll(() => {
  model = importMnistModel('cnn').model;
  const test = loadMnist('test');
  digits = Array.from({ length: 20 }, (_, i) => Array.from(test.images.subarray(784 * i, 784 * (i + 1))));
});

type Wire = Omit<SignedReceipt, 'nonce'> & { nonce: string };

async function infer(node: NodeProcess, digit: number[], path = '/v1/infer') {
  const response = await fetch(`${node.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [digit] }),
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      receipt: Wire;
      outputs: { data: number[] }[];
      inputsToken: string;
      error?: string;
    },
  };
}

const toReceipt = (r: Wire): SignedReceipt => ({ ...r, nonce: BigInt(r.nonce) });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the node, as its image runs it, on a local chain', () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await Deployment.start(model, { challengeWindow: 3600n });
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('serves signed receipts, claims them, and a dishonest node is caught by a watcher node and slashed', async () => {
    const dishonest = await spawnNode(
      // Its clients agree to be audited by any watcher: the watcher reads inputs without a token.
      d.env(DEV_KEYS.nodeA, {
        STOA_TEST_FAULT: 'perturb:3',
        STOA_BATCH_SIZE: '3',
        STOA_PUBLIC_INPUTS: 'true',
      }),
    );
    let watcher: NodeProcess | undefined;
    try {
      await dishonest.waitForHealth('ready');
      const address = privateKeyToAccount(DEV_KEYS.nodeA).address;
      const stake = await d.bondedOf(address);
      expect(stake).toBe(DEV_PARAMETERS.minStake); // staked at start-up
      const domain = { chainId: d.chain.chainId, verifyingContract: d.at.claimRegistry };
      for (const digit of digits.slice(0, 3)) {
        const { status, body } = await infer(dishonest, digit);
        expect(status).toBe(200);
        expect(await verifyReceipt(toReceipt(body.receipt), domain)).toBe(true);
        expect(body.outputs[0]!.data).toHaveLength(10);
      }
      await until('a claim on chain', async () => (await d.claimsOf(address)).length === 1);

      watcher = await spawnNode(
        d.env(DEV_KEYS.nodeB, { STOA_ROLE: 'watcher', STOA_WATCH_NODES: dishonest.url }),
      );
      await watcher.waitForHealth('ready');
      await until('the dishonest node slashed', async () => (await d.bondedOf(address)) < stake, 90_000);
      expect(await d.bondedOf(address)).toBe(stake - DEV_PARAMETERS.slashAmount);
      const audit = async () => (await watcher!.waitForHealth('ready')).audit as Record<string, number>;
      await until('the watcher to record its win', async () => (await audit()).disputesWon === 1);
      // Every answer of this node is wrong: the first receipt checked is enough to dispute the claim.
      expect(await audit()).toMatchObject({
        claimsSampled: 1,
        receiptsChecked: 1,
        faultsFound: 1,
        disputesWon: 1,
      });
      const metrics = await (await fetch(`${watcher.url}/metrics`)).text();
      expect(metrics).toContain('stoa_disputes_total{outcome="won",role="challenger"} 1');
    } finally {
      await watcher?.stop();
      await dishonest.stop();
    }
  });

  it('answers bad requests with a 4xx naming the problem, keeps serving, and loses no receipt', async () => {
    const node = await spawnNode(
      d.env(DEV_KEYS.nodeC, { STOA_BATCH_SIZE: '1000', STOA_MAX_BODY_BYTES: '65536' }),
    );
    const address = privateKeyToAccount(DEV_KEYS.nodeC).address;
    try {
      await node.waitForHealth('ready');
      // The default setting times the probe and keeps the MNIST CNN (well under 50 ms) inline.
      const hotPath = node.logs.find((l) => l.msg === 'hot path');
      expect(hotPath).toMatchObject({ where: 'inline', setting: 'auto' });
      expect(hotPath?.probeMs).toBeGreaterThan(0);
      const post = (body: string, path = '/v1/infer') =>
        fetch(`${node.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }).then(async (r) => ({ status: r.status, error: ((await r.json()) as { error: string }).error }));
      const cases: [string, string, number, RegExp][] = [
        [
          'wrong shape',
          JSON.stringify({ inputs: [{ shape: [1, 28, 28], data: digits[0] }] }),
          400,
          /inputs\[0\]\.shape/,
        ],
        ['too few values', JSON.stringify({ inputs: [digits[0]!.slice(1)] }), 400, /783 values/],
        [
          'wrong dtype',
          JSON.stringify({ inputs: [digits[0]!.map(() => 'x')] }),
          400,
          /inputs\[0\]\.data\[0\] must be a finite number/,
        ],
        [
          'not i8 integers',
          JSON.stringify({ format: 'int', inputs: [digits[0]!.map(() => 300)] }),
          400,
          /not an i8 integer/,
        ],
        ['malformed JSON', '{"inputs": [', 400, /not valid JSON/],
        [
          'oversized body',
          JSON.stringify({ inputs: [Array(20_000).fill(0.5)] }),
          413,
          /over the 65536-byte limit/,
        ],
      ];
      let good = 0;
      for (const [, body, status, message] of cases) {
        const answer = await post(body);
        expect(answer.status).toBe(status);
        expect(answer.error).toMatch(message);
        expect((await infer(node, digits[good]!)).status).toBe(200); // still serving
        good++;
      }
      const unknown = await post(
        JSON.stringify({ inputs: [digits[0]] }),
        `/v1/models/0x${'ab'.repeat(32)}/infer`,
      );
      expect(unknown).toMatchObject({ status: 404, error: expect.stringMatching(/serves model/) });
      expect((await infer(node, digits[0]!, `/v1/models/${d.modelId}/infer`)).status).toBe(200);
      good++;
      expect((await fetch(`${node.url}/v1/nothing`)).status).toBe(404);

      // On-demand receipts (the default): a zero trace root, and inputs readable with the token
      // issued with the receipt (which names them), by the URL of their input digest or the root.
      const [a, b] = [(await infer(node, digits[1]!)).body, (await infer(node, digits[2]!)).body];
      good += 2;
      expect(a.receipt.traceRoot).toBe(`0x${'0'.repeat(64)}`);
      const read = (key: string, token?: string) =>
        fetch(`${node.url}/v1/traces/${key}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      for (const key of [a.receipt.inputDigest, a.receipt.traceRoot]) {
        const own = await read(key, a.inputsToken);
        expect(own.status).toBe(200);
        const { inputs } = (await own.json()) as { inputs: { data: number[] }[] };
        expect(inputs[0]!.data).toEqual(Array.from(quantizeInput(model.graph, 0, digits[1]!).data));
      }
      expect((await read(a.receipt.inputDigest)).status).toBe(403);
      expect((await read(a.receipt.inputDigest, b.inputsToken)).status).toBe(403);

      // Several inferences in one request: each answered as if alone, with its own receipt.
      const batch = async (items: (string | Buffer)[], path = `/v1/models/${d.modelId}/infer-batch`) => {
        const r = await fetch(`${node.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': INFER_BATCH_CONTENT_TYPE },
          body: batchBody(items.map((item) => (typeof item === 'string' ? Buffer.from(item) : item))),
        });
        return {
          status: r.status,
          body: (await r.json()) as {
            answers: { status: number; body: Awaited<ReturnType<typeof infer>>['body'] }[];
            error?: string;
          },
        };
      };
      const alone = (await infer(node, digits[3]!)).body;
      good++;
      const mixed = await batch([
        JSON.stringify({ inputs: [digits[3]] }),
        '{"inputs": [',
        JSON.stringify({ inputs: [digits[4]!.slice(1)] }),
        JSON.stringify({ inputs: [Array(20_000).fill(0.5)] }),
        JSON.stringify({ inputs: [digits[4]] }),
        encodeBinaryInputs([digits[3]!]),
        Buffer.from('stoa\u0001\u0001\u0001\u0000'),
      ]);
      good += 3;
      expect(mixed.status).toBe(200);
      expect(mixed.body.answers.map((x) => x.status)).toEqual([200, 400, 400, 413, 200, 200, 400]);
      expect(mixed.body.answers[6]!.body.error).toMatch(
        /inputs\[0\]: the body ends before its element count/,
      );
      // The binary inputs form, in a batch and alone: the same inputs digest and outputs as JSON.
      const single = await fetch(`${node.url}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': BINARY_INPUTS_CONTENT_TYPE },
        body: encodeBinaryInputs([digits[3]!], 'float64'),
      });
      good++;
      const binaryAlone = (await single.json()) as Awaited<ReturnType<typeof infer>>['body'];
      for (const answer of [mixed.body.answers[5]!.body, binaryAlone]) {
        expect(answer.receipt.inputDigest).toBe(alone.receipt.inputDigest);
        expect(answer.outputs).toEqual(alone.outputs);
      }
      expect(mixed.body.answers[1]!.body.error).toMatch(/not valid JSON/);
      expect(mixed.body.answers[2]!.body.error).toMatch(/783 values/);
      expect(mixed.body.answers[3]!.body.error).toMatch(/over the 65536-byte limit/);
      const [first, , , , last] = mixed.body.answers.map((x) => x.body);
      expect(first.outputs).toEqual(alone.outputs);
      expect(first.receipt.outputDigest).toBe(alone.receipt.outputDigest);
      expect(first.receipt.inputDigest).toBe(alone.receipt.inputDigest);
      const domain = { chainId: d.chain.chainId, verifyingContract: d.at.claimRegistry };
      for (const r of [first, last]) expect(await verifyReceipt(toReceipt(r.receipt), domain)).toBe(true);
      expect(new Set([alone, first, last].map((r) => r.receipt.nonce)).size).toBe(3);
      const tooMany = await batch(Array(MAX_BATCH_ITEMS + 1).fill(JSON.stringify({ inputs: [digits[0]] })));
      expect(tooMany.status).toBe(413);
      expect(tooMany.body.error).toMatch(new RegExp(`at most ${MAX_BATCH_ITEMS} are accepted`));
      expect(
        (await batch([JSON.stringify({ inputs: [digits[0]] })], '/v1/models/0xab/infer-batch')).status,
      ).toBe(404);

      // A graceful stop claims the pending batch: every good request is in a claim.
      expect(await node.stop()).toBe(0);
      const claims = await d.claimsOf(address);
      expect(claims.reduce((n, c) => n + c.receipts, 0)).toBe(good);
    } finally {
      await node.stop();
    }
  });

  it('loses no receipt to a kill -9 in the middle of a batch', async () => {
    const key = DEV_KEYS.nodeD;
    const address = privateKeyToAccount(key).address;
    // The hot path on its worker thread (what `auto` picks for a model whose inference takes
    // 50 ms or more): the kill and the restart reach that thread too.
    const env = d.env(key, {
      STOA_BATCH_SIZE: '1000',
      STOA_BATCH_MAX_AGE_MS: '1500',
      STOA_HOT_PATH_THREAD: 'thread',
    });
    const first = await spawnNode(env);
    await first.waitForHealth('ready');
    expect(first.logs.find((l) => l.msg === 'hot path')).toMatchObject({
      where: 'thread',
      setting: 'thread',
    });
    // Many requests in flight; the node is killed while they run.
    const issued: SignedReceipt[] = [];
    const requests = digits.map((digit) =>
      infer(first, digit).then(
        ({ status, body }) => {
          if (status === 200) issued.push(toReceipt(body.receipt));
        },
        () => {},
      ),
    );
    await until('some receipts', async () => issued.length >= 5);
    await first.kill();
    await Promise.all(requests);
    expect(issued.length).toBeGreaterThanOrEqual(5);

    const second = await spawnNode(env);
    try {
      await second.waitForHealth('ready');
      await until('every issued receipt in a claim', async () => {
        const claimed = new Set<string>();
        for (const { claimId } of await d.claimsOf(address)) {
          const body = (await (await fetch(`${second.url}/v1/claims/${claimId}/receipts`)).json()) as {
            receipts: Wire[];
          };
          // A claim the restarted node has not matched to its journal yet answers 404: not yet.
          if (!body.receipts) return false;
          for (const r of body.receipts) claimed.add(`${r.traceRoot}:${r.nonce}`);
        }
        return issued.every((r) => claimed.has(`${r.traceRoot}:${r.nonce}`));
      });
      // Nonces continue after the restart: new receipts never reuse one.
      const next = await infer(second, digits[0]!);
      const highest = issued
        .map((r) => r.nonce)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .at(-1)!;
      expect(BigInt(next.body.receipt.nonce)).toBeGreaterThan(highest);
    } finally {
      await second.stop();
    }
  });
});
