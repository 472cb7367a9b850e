import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { GATEWAY_CREDENTIAL_HEADER } from '@stoa/node';
import { revokeApiKey } from '@stoa/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from './server.js';
import { DEV_KEYS, type Stack, startStack, TEST_MODEL_NAME } from './testing/stack.js';

let stack: Stack;
let gateway: RunningGateway;
let body: string;
const logs: string[] = [];

beforeAll(async () => {
  const { model } = importMnistModel('cnn');
  body = JSON.stringify({ inputs: [Array.from(loadMnist('test').images.subarray(0, 784))] });
  stack = await startStack(model, [{ network: 'akash', key: DEV_KEYS.nodeA }]);
  gateway = await stack.startGateway({
    log: (level, msg, fields) => logs.push(JSON.stringify({ level, msg, fields })),
  });
});
afterAll(async () => {
  await gateway?.stop();
  await stack?.stop();
});

const call = (
  path: string,
  init: { key?: string; authorization?: string; method?: string; body?: string } = {},
) =>
  fetch(`${gateway.url}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: {
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.authorization
        ? { authorization: init.authorization }
        : init.key
          ? { authorization: `Bearer ${init.key}` }
          : {}),
    },
    ...(init.body ? { body: init.body } : {}),
  });

describe('the gateway: keys, errors and node credentials', () => {
  it('answers with outputs and a checked receipt, x-request-id and rate-limit headers, and serves the receipt back', async () => {
    const key = await stack.createKey();
    const response = await call(`/v1/models/${TEST_MODEL_NAME}/infer`, { key, body });
    const answer = (await response.json()) as {
      id: string;
      outputs: { data: number[] }[];
      receipt: { node: string };
    };
    expect(response.status).toBe(200);
    expect(answer.outputs[0]!.data).toHaveLength(10);
    expect(response.headers.get('x-request-id')).toBe(answer.id);
    expect(Number(response.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
    expect(response.headers.get('x-ratelimit-remaining')).not.toBeNull();
    expect(response.headers.get('x-ratelimit-reset')).not.toBeNull();
    const byId = await call(`/v1/models/${stack.deployment.modelId}/infer`, { key, body });
    expect(byId.status).toBe(200);
    const receipt = (await (await call(`/v1/receipts/${answer.id}`, { key })).json()) as { receipt: unknown };
    expect(receipt.receipt).toEqual(answer.receipt);
    const other = await stack.createKey();
    expect((await call(`/v1/receipts/${answer.id}`, { key: other })).status).toBe(404);
    const models = (await (await call('/v1/models', { key })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual([TEST_MODEL_NAME]);
  });

  it('refuses missing, malformed, unknown, revoked, expired and wrong-model keys with OpenAI-style errors', async () => {
    const expectError = async (response: Response, status: number, code: string) => {
      expect(response.status).toBe(status);
      const { error } = (await response.json()) as { error: { message: string; type: string; code: string } };
      expect(error.code).toBe(code);
      expect(error.type).toBeTruthy();
      expect(error.message).toBeTruthy();
    };
    const path = `/v1/models/${TEST_MODEL_NAME}/infer`;
    await expectError(await call(path, { body }), 401, 'missing_api_key');
    await expectError(await call(path, { body, authorization: 'Basic abc' }), 401, 'invalid_api_key');
    await expectError(await call(path, { body, key: 'sk_short' }), 401, 'invalid_api_key');
    const valid = await stack.createKey();
    const forged = `${valid.slice(0, 12)}${valid.slice(12).split('').reverse().join('')}`;
    await expectError(await call(path, { body, key: forged }), 401, 'invalid_api_key');
    const revoked = await stack.createKey();
    await revokeApiKey(stack.db, revoked.slice(0, 12));
    await new Promise((r) => setTimeout(r, 1_000));
    await expectError(await call(path, { body, key: revoked }), 401, 'revoked_api_key');
    const expired = await stack.createKey({ expiresAt: new Date(Date.now() - 1000) });
    await expectError(await call(path, { body, key: expired }), 401, 'expired_api_key');
    const narrow = await stack.createKey({ allowedModels: ['another-model'] });
    await expectError(await call(path, { body, key: narrow }), 403, 'model_not_allowed');
    await expectError(await call('/v1/models/nope/infer', { body, key: valid }), 404, 'model_not_found');
    await expectError(
      await call(path, { body: JSON.stringify({ inputs: [[1, 2]] }), key: valid }),
      400,
      'invalid_inputs',
    );
    const big = JSON.stringify({ inputs: [Array.from({ length: 400_000 }, () => 100)] });
    await expectError(await call(path, { body: big, key: valid }), 413, 'body_too_large');
    const limited = await stack.createKey({ rateLimitPerSec: 1, burst: 1 });
    expect((await call('/v1/models', { key: limited })).status).toBe(200);
    const refused = await call('/v1/models', { key: limited });
    await expectError(refused, 429, 'rate_limit_exceeded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Nothing secret reached a log line: no key, no key hash.
    const row = await stack.db.apiKey.findFirstOrThrow({ where: { prefix: valid.slice(0, 12) } });
    const text = logs.join('\n');
    for (const secret of [valid, forged, revoked, expired, row.hash, valid.slice(0, 12)])
      expect(text).not.toContain(secret);
  });

  it('throttles an address after repeated authentication failures', async () => {
    // The earlier test already failed a few times from this address; keep failing until refused.
    let status = 0;
    for (let i = 0; i < 30 && status !== 429; i++) {
      const response = await call('/v1/models', { key: `sk_${'A'.repeat(43)}` });
      status = response.status;
      if (status === 429) {
        const { error } = (await response.json()) as { error: { code: string } };
        expect(error.code).toBe('too_many_auth_failures');
      }
    }
    expect(status).toBe(429);
    // While throttled even a good key from that address waits: the lookups stop.
    expect((await call('/v1/models', { key: await stack.createKey() })).status).toBe(429);
  });

  it('nodes refuse inference without the deployment’s gateway credential; traces stay open', async () => {
    const node = stack.nodes[0]!;
    const direct = await fetch(`${node.url}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(direct.status).toBe(401);
    const wrong = await fetch(`${node.url}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [GATEWAY_CREDENTIAL_HEADER]: 'x'.repeat(43) },
      body,
    });
    expect(wrong.status).toBe(401);
    const trace = await fetch(`${node.url}/v1/traces/0x${'00'.repeat(32)}`);
    expect([403, 404]).toContain(trace.status);
    expect((await fetch(`${node.url}/v1/claims/1/receipts`)).status).toBe(404);
  });
});
