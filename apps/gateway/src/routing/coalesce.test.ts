import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { GATEWAY_SIGNATURE_HEADER } from '@stoa/ir';
import { encodeBinaryInputs } from '@stoa/node';
import { gatewaySigningKey, signGatewayRequest } from '@stoa/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../server.js';
import { DEV_KEYS, type Stack, startStack, TEST_MODEL_NAME } from '../testing/stack.js';
import { MIN_SPLIT_BATCH, type NodeCall, type NodeReply, sendCoalesced } from './coalesce.js';
import { ReplicaState } from './replica.js';

// A real anvil, SQLite control plane and one real node: the node's batch route answers what
// the coalescer sends, checked against the same inferences sent alone.
let stack: Stack;
let gateway: RunningGateway;
let bodies: Buffer[];

beforeAll(async () => {
  const { model } = importMnistModel('cnn');
  const images = loadMnist('test').images;
  bodies = Array.from({ length: 6 }, (_, i) =>
    Buffer.from(JSON.stringify({ inputs: [Array.from(images.subarray(784 * i, 784 * (i + 1)))] })),
  );
  stack = await startStack(model, [{ network: 'akash', key: DEV_KEYS.nodeA }]);
  gateway = await stack.startGateway();
}, 180_000);
afterAll(async () => {
  await gateway?.stop();
  await stack?.stop();
});

type Answer = {
  outputs?: { data: number[] }[];
  receipt?: { inputDigest: string; nonce: string };
  error?: string;
};

/** The node's request counts by route, from its /metrics. */
async function routeCounts(): Promise<Record<string, number>> {
  const text = await (await fetch(`${stack.nodes[0]!.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, route, status, n] of text.matchAll(
    /stoa_requests_total\{route="([^"]+)",status="(\d+)"\} (\d+)/g,
  ))
    counts[`${route} ${status}`] = Number(n);
  return counts;
}

describe('coalescing the inferences of one turn for a replica', () => {
  it('sends them as one batch request and splits the answers back, each as if sent alone', async () => {
    const node = stack.nodes[0]!;
    const replica = new ReplicaState('r0', 'akash', node.url, stack.deploymentId, 2);
    const key = gatewaySigningKey(stack.gatewaySecret);
    const call = (body: Buffer): NodeCall => ({
      replica,
      modelId: stack.deployment.modelId,
      body,
      timeoutMs: 30_000,
      authHeaders: (path, bytes) => ({
        [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest(key, {
          method: 'POST',
          path,
          deploymentId: stack.deploymentId,
          body: bytes,
        }),
      }),
    });
    try {
      const lone: NodeReply[] = [];
      for (const b of bodies.slice(0, 3)) lone.push(await sendCoalesced(call(b))); // one per turn
      const before = await routeCounts();
      // The binary inputs form of digit 2 (the node's encodeBinaryInputs): the same receipt digest.
      const binary = encodeBinaryInputs(JSON.parse(bodies[2]!.toString()).inputs);
      const batch = await Promise.all(
        [bodies[0]!, Buffer.from('{"inputs": ['), bodies[1]!, binary].map((b) => sendCoalesced(call(b))),
      );
      const after = await routeCounts();
      expect(after['/v1/infer-batch 200']! - (before['/v1/infer-batch 200'] ?? 0)).toBe(1);
      expect(after['/v1/models/infer 200']).toBe(before['/v1/models/infer 200']);
      expect(batch.map((r) => r.statusCode)).toEqual([200, 400, 200, 200]);
      expect((batch[1]!.body as Answer).error).toMatch(/not valid JSON/);
      const [a, , b, c] = batch.map((r) => r.body as Answer);
      for (const [i, answer] of [a!, b!, c!].entries()) {
        const alone = lone[i]!.body as Answer;
        expect(answer.outputs).toEqual(alone.outputs);
        expect(answer.receipt!.inputDigest).toBe(alone.receipt!.inputDigest);
        expect(answer.receipt!.nonce).not.toBe(alone.receipt!.nonce);
      }
      // A lone inference goes to the single route, not the batch route; a binary one too.
      await sendCoalesced(call(bodies[3]!));
      const loneBinary = (await sendCoalesced(call(binary))).body as Answer;
      expect(loneBinary.receipt!.inputDigest).toBe((lone[2]!.body as Answer).receipt!.inputDigest);
      expect(loneBinary.outputs).toEqual((lone[2]!.body as Answer).outputs);
      const last = await routeCounts();
      expect(last['/v1/infer-batch 200']).toBe(after['/v1/infer-batch 200']);
      expect(last['/v1/models/infer 200']).toBe(after['/v1/models/infer 200']! + 2);
      // A batch whose signature does not cover its body is refused as a whole, and each fails.
      const forged = await Promise.all(
        bodies
          .slice(0, 2)
          .map((b) =>
            sendCoalesced({ ...call(b), authHeaders: (path) => call(b).authHeaders(path, bodies[5]!) }),
          ),
      );
      expect(forged.map((r) => r.statusCode)).toEqual([401, 401]);
      // Two batches in flight (STOA_GATEWAY_BATCHES_IN_FLIGHT=2, the default) and the router's
      // count of outstanding inferences (forward.ts begins each): a turn takes at most half of
      // them, never fewer than MIN_SPLIT_BATCH, so eight routed at once go as two batches of four
      // and four as one.
      const routedAtOnce = async (n: number) => {
        const before = await routeCounts();
        for (let i = 0; i < n; i++) replica.begin();
        const sent = Array.from({ length: n }, (_, i) => bodies[i % bodies.length]!);
        const answers = await Promise.all(sent.map((b) => sendCoalesced(call(b))));
        for (let i = 0; i < n; i++) replica.succeeded(1);
        expect(answers.map((r) => r.statusCode)).toEqual(Array(n).fill(200));
        for (const [i, r] of answers.entries())
          if (i % bodies.length < 3)
            expect((r.body as Answer).outputs).toEqual((lone[i % bodies.length]!.body as Answer).outputs);
        return (await routeCounts())['/v1/infer-batch 200']! - before['/v1/infer-batch 200']!;
      };
      expect(MIN_SPLIT_BATCH).toBe(4);
      expect(await routedAtOnce(8)).toBe(2);
      expect(await routedAtOnce(4)).toBe(1);
    } finally {
      await replica.close();
    }
  });

  it('through the gateway, concurrent clients each get their own checked receipt', async () => {
    const key = await stack.createKey();
    const send = (body: Buffer) =>
      fetch(`${gateway.url}/v1/models/${TEST_MODEL_NAME}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body,
      }).then(async (r) => ({ status: r.status, answer: (await r.json()) as Answer }));
    const answers = await Promise.all([...bodies, ...bodies].map(send));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    for (const [i, { answer }] of answers.entries())
      expect(answer.outputs).toEqual(answers[i % bodies.length]!.answer.outputs);
    expect(new Set(answers.map((a) => a.answer.receipt!.nonce)).size).toBe(12);
  });
});
