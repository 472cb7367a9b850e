import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type Model, quantizeInput } from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEYS, Deployment } from './dev/deployment.js';
import { spawnNode } from './dev/process.js';
import { traceBytesBound } from './node.js';

let model: Model;
let digits: number[][];
let d: Deployment;

beforeAll(async () => {
  model = importMnistModel('cnn').model;
  const test = loadMnist('test');
  digits = Array.from({ length: 6 }, (_, i) => Array.from(test.images.subarray(784 * i, 784 * (i + 1))));
  d = await Deployment.start(model, { challengeWindow: 3600n });
});
afterAll(async () => {
  await d?.stop();
});

const infer = (url: string, digit: number[]) =>
  fetch(`${url}/v1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [digit] }),
  });

describe('the node keeps what its receipts need and guards what is not public (issue 18)', () => {
  it('refuses new work with 503 + Retry-After when its trace store is full, and evicts nothing', async () => {
    // Room for two traces: a third request must be refused, not make room by dropping the first.
    // (Eager traces: an on-demand node stores no trace until a dispute opens.)
    const room = Math.floor(2.5 * traceBytesBound(model));
    const node = await spawnNode(
      d.env(DEV_KEYS.nodeA, {
        STOA_BATCH_SIZE: '1000',
        STOA_MAX_TRACE_BYTES: String(room),
        STOA_TRACES: 'eager',
      }),
    );
    try {
      await node.waitForHealth('ready');
      const answers: { receipt: { traceRoot: string }; inputsToken: string }[] = [];
      let refused: Response | undefined;
      for (const digit of digits) {
        const response = await infer(node.url, digit);
        if (response.status === 503) {
          refused = response;
          break;
        }
        expect(response.status).toBe(200);
        answers.push((await response.json()) as (typeof answers)[number]);
      }
      expect(answers).toHaveLength(2);
      expect(refused?.headers.get('retry-after')).toBe('30');
      expect(((await refused!.json()) as { error: string }).error).toMatch(/trace store is full/);
      expect((await node.waitForHealth('busy')).state).toBe('busy');
      // Both traces are still there: their receipts can be defended.
      for (const [i, answer] of answers.entries()) {
        const trace = await fetch(`${node.url}/v1/traces/${answer.receipt.traceRoot}`, {
          headers: { authorization: `Bearer ${answer.inputsToken}` },
        });
        expect(trace.status).toBe(200);
        const body = (await trace.json()) as { inputs: { data: number[] }[] };
        expect(body.inputs[0]!.data).toEqual(Array.from(quantizeInput(model.graph, 0, digits[i]!).data));
      }
      // ... and readable by their client only.
      const first = answers[0]!;
      expect((await fetch(`${node.url}/v1/traces/${first.receipt.traceRoot}`)).status).toBe(403);
      const stolen = await fetch(`${node.url}/v1/traces/${first.receipt.traceRoot}`, {
        headers: { authorization: `Bearer ${answers[1]!.inputsToken}` },
      });
      expect(stolen.status).toBe(403);
    } finally {
      await node.stop();
    }
  });

  it('shows no RPC URL or key in /health, its logs or its process arguments when the RPC is down', async () => {
    const secret = 'SECRETAPIKEY0123456789';
    const node = await spawnNode(
      d.env(DEV_KEYS.nodeB, { STOA_RPC_URL: `http://user:pass@127.0.0.1:9/v3/${secret}?key=${secret}` }),
    );
    try {
      const health = await fetch(`${node.url}/health`);
      let body = (await health.json()) as Record<string, unknown>;
      for (let i = 0; i < 100 && body.state !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        body = (await (await fetch(`${node.url}/health`)).json()) as Record<string, unknown>;
      }
      expect(body.state).toBe('failed');
      const shown = `${JSON.stringify(body)}\n${JSON.stringify(node.logs)}\n${node.process.spawnargs.join(' ')}`;
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain('user:pass');
      expect(shown).not.toContain(DEV_KEYS.nodeB.slice(2));
    } finally {
      await node.stop();
    }
  });
});
