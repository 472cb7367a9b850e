import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vitest from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapacityError } from '../core/errors.js';
import { MemoryRecordStore } from '../core/record-store.js';
import { conformanceSuite } from '../kit/conformance.js';
import { processesWithEnv } from '../testing/proc.js';
import { renderAdapter } from './adapter.js';
import { RenderEmulator } from './emulator.js';
import { renderAuthHeaders, renderStringToSign } from './signing.js';

const spec = {
  name: 'rn',
  modelId: 'mnist-mlp',
  artifactUrl: 'https://artifacts.example/mnist',
  rpcUrl: 'https://rpc.example',
  operatorAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  gpu: { kind: 'nvidia-rtx4090', count: 1 },
};
const prices = { pricePerGpuHourUsd: { 'nvidia-rtx4090': 0.45, 'nvidia-a100': 1.6 } };
const keys = { 'key-1': 'secret-1' };

conformanceSuite(vitest, 'render (emulator)', async () => {
  const emu = await new RenderEmulator({ keys }).start();
  const poor = await new RenderEmulator({ keys, credits: 0 }).start();
  const good = (url: string) =>
    renderAdapter({ keyId: 'key-1', secret: 'secret-1', baseUrl: url, ...prices });
  return {
    adapter: good(emu.url),
    spec,
    activeResources: async () => emu.activeRuns(),
    failures: [
      {
        name: 'bad credentials',
        kind: 'user',
        code: 'bad-credentials',
        adapter: renderAdapter({ keyId: 'key-1', secret: 'wrong', baseUrl: emu.url, ...prices }),
      },
      { name: 'no funds', kind: 'user', code: 'no-funds', adapter: good(poor.url) },
      {
        name: 'no capacity',
        kind: 'capacity',
        code: 'no-capacity',
        adapter: good(emu.url),
        spec: { ...spec, gpu: { kind: 'nvidia-a100', count: 1 } },
      },
    ],
    close: async () => {
      await emu.close();
      await poor.close();
    },
  };
});

describe('render signing', () => {
  let emu: RenderEmulator;
  beforeAll(async () => {
    emu = await new RenderEmulator({ keys }).start();
  });
  afterAll(() => emu.close());

  it('signs as docs.compute.x.io documents: publicKey|time|nonce|METHOD|path|query|sha256(body bytes)', () => {
    // The docs' example request: GET /v1/jobs?status=COMPLETED (empty body), then a POST with a body.
    const fixed = { publicKey: 'pk', time: '1700000000000', nonce: '0123456789abcdef0123456789abcdef' };
    const emptySha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'; // sha256('')
    expect(
      renderStringToSign({ ...fixed, method: 'get', path: '/v1/jobs', query: 'status=COMPLETED', body: '' }),
    ).toBe(`pk|1700000000000|0123456789abcdef0123456789abcdef|GET|/v1/jobs|status=COMPLETED|${emptySha}`);
    const body = '{"title":"x","gpu_count":1}'; // hashed as sent, key order kept
    const headers = renderAuthHeaders('pk', 'sk', 'POST', '/v1/jobs', body, 1_700_000_000_000, fixed.nonce);
    const expected = createHmac('sha256', 'sk')
      .update(
        `pk|1700000000000|${fixed.nonce}|POST|/v1/jobs||${createHash('sha256').update(body).digest('hex')}`,
      )
      .digest('hex');
    expect(headers).toEqual({
      'X-API-Key': 'pk',
      'X-Time': '1700000000000',
      'X-Nonce': fixed.nonce,
      'X-Signature': expected,
    });
  });

  it('refuses tampered bodies, stale times, malformed nonces and a replayed nonce', async () => {
    const path = '/v1/jobs';
    const h = renderAuthHeaders('key-1', 'secret-1', 'POST', path, '{"a":1}');
    const r1 = await fetch(`${emu.url}${path}`, { method: 'POST', headers: h, body: '{"a":2}' });
    expect(r1.status).toBe(401);
    const old = renderAuthHeaders('key-1', 'secret-1', 'GET', path, '', Date.now() - 3_600_000);
    expect((await fetch(`${emu.url}${path}`, { headers: old })).status).toBe(401);
    const shortNonce = renderAuthHeaders('key-1', 'secret-1', 'GET', path, '', Date.now(), 'abc');
    expect((await fetch(`${emu.url}${path}`, { headers: shortNonce })).status).toBe(401);
    const ok = renderAuthHeaders('key-1', 'secret-1', 'GET', path, '');
    expect((await fetch(`${emu.url}${path}`, { headers: ok })).status).toBe(200);
    expect((await fetch(`${emu.url}${path}`, { headers: ok })).status).toBe(401); // the same nonce again
    expect(emu.refusals).toEqual(['bad-signature', 'stale', 'bad-nonce', 'replayed']);
  });

  it('sends a PERSISTENT docker job with the image split into image and tag', async () => {
    const a = renderAdapter({ keyId: 'key-1', secret: 'secret-1', baseUrl: emu.url, ...prices });
    const dep = await a.provision(
      { ...spec, name: 'rn-body', image: 'ghcr.io/stoa/node:0.2.0' },
      { store: new MemoryRecordStore() },
    );
    const job = emu.jobs.get(dep.data.jobId as string)!;
    expect(job).toMatchObject({ title: 'rn-body', gpuName: 'RTX 4090', gpuCount: 1, status: 'RUNNING' });
    expect(job.parameters).toMatchObject({ image: 'ghcr.io/stoa/node', tag: '0.2.0', ports: [8080] });
    expect(job.parameters.env).toMatchObject({ STOA_OPERATOR_ADDRESS: spec.operatorAddress });
    await a.teardown(dep);
    expect(emu.jobs.get(dep.data.jobId as string)!.status).toBe('CANCELLED');
  });
});

describe('render emulator running workloads', () => {
  const tag = `render-${randomUUID()}`;
  const fakeNode = fileURLToPath(new URL('../testing/fake-node.mjs', import.meta.url));
  let emu: RenderEmulator;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stoa-render-'));
    emu = await new RenderEmulator({
      keys,
      runWorkloads: { command: [process.execPath, fakeNode], dir },
    }).start();
  });
  afterAll(async () => {
    await emu.close();
    for (const pid of await processesWithEnv('STOA_TEST_TAG', tag)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  const adapter = () =>
    renderAdapter({
      keyId: 'key-1',
      secret: 'secret-1',
      baseUrl: emu.url,
      readyTimeoutMs: 10_000,
      ...prices,
    });

  it('runs the job as a process with the env the adapter sent; readiness, health, logs and cancel are the process’s', async () => {
    const a = adapter();
    const dep = await a.provision(
      { ...spec, name: 'rn-run', env: { STOA_TEST_TAG: tag, FAKE_READY_AFTER_MS: '300' } },
      { store: new MemoryRecordStore() },
    );
    const [pid] = await processesWithEnv('STOA_TEST_TAG', tag);
    const status = await a.status(dep);
    expect(status.state).toBe('running');
    expect(status.endpoints).toEqual([emu.workloads()[0]!.url]);
    const health = (await (await fetch(`${status.endpoints[0]}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ state: 'ready', modelId: spec.modelId, role: 'server', pid });
    expect(health.dataDir).toMatch(new RegExp(`^${dir}/[^/]+/data$`));
    const lines = [];
    for await (const l of a.logs(dep, {})) lines.push(l.line);
    expect(lines.some((l) => /^node mnist-mlp \(server\) listening on 127\.0\.0\.1:\d+$/.test(l))).toBe(true);
    await a.teardown(dep);
    expect(await processesWithEnv('STOA_TEST_TAG', tag)).toEqual([]);
    expect(emu.jobs.get(dep.data.jobId as string)!.status).toBe('CANCELLED');
    expect(emu.activeRuns()).toBe(0);
  });

  it('reports a job whose process exits as failed, and frees its node', async () => {
    const free = emu.nodes['RTX 4090'];
    const error = await adapter()
      .provision(
        { ...spec, name: 'rn-crash', env: { STOA_TEST_TAG: tag, FAKE_FAIL: '1' } },
        { store: new MemoryRecordStore() },
      )
      .catch((e) => e);
    expect(error).toBeInstanceOf(CapacityError);
    expect(error.message).toMatch(/Render (job \S+ is FAILED|node \S+ of job \S+ exited)/);
    expect(emu.workloads()).toEqual([]);
    expect(emu.nodes['RTX 4090']).toBe(free);
  });
});
