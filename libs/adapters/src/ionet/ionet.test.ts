import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vitest from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapacityError, errorFromHttpStatus, UserError } from '../core/errors.js';
import { MemoryRecordStore } from '../core/record-store.js';
import { conformanceSuite } from '../kit/conformance.js';
import { processesWithEnv } from '../testing/proc.js';
import { sendJson, startServer } from '../testing/server.js';
import { ionetAdapter } from './adapter.js';
import { IonetEmulator } from './emulator.js';

const spec = {
  name: 'io',
  modelId: 'mnist-mlp',
  artifactUrl: 'https://artifacts.example/mnist',
  rpcUrl: 'https://rpc.example',
  operatorAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  gpu: { kind: 'nvidia-rtx4090', count: 1 },
  replicas: 2,
};

conformanceSuite(vitest, 'ionet (emulator)', async () => {
  const emu = await new IonetEmulator({ apiKey: 'io-good' }).start();
  const poor = await new IonetEmulator({ apiKey: 'io-good', balance: 0.01 }).start();
  return {
    adapter: ionetAdapter({ apiKey: 'io-good', baseUrl: emu.url }),
    spec,
    activeResources: async () => emu.activeContainers(),
    failures: [
      {
        name: 'bad credentials',
        kind: 'user',
        code: 'bad-credentials',
        adapter: ionetAdapter({ apiKey: 'nope', baseUrl: emu.url }),
      },
      {
        name: 'no funds',
        kind: 'user',
        code: 'no-funds',
        adapter: ionetAdapter({ apiKey: 'io-good', baseUrl: poor.url }),
      },
      {
        name: 'no capacity',
        kind: 'capacity',
        code: 'no-capacity',
        adapter: ionetAdapter({ apiKey: 'io-good', baseUrl: emu.url }),
        spec: { ...spec, gpu: { kind: 'nvidia-a100', count: 1 }, replicas: 5 },
      },
    ],
    close: async () => {
      await emu.close();
      await poor.close();
    },
  };
});

describe('ionet adapter', () => {
  let emu: IonetEmulator;
  beforeAll(async () => {
    emu = await new IonetEmulator({ apiKey: 'k' }).start();
  });
  afterAll(() => emu.close());

  it('sends the documented deploy payload, with no key in it', async () => {
    const a = ionetAdapter({ apiKey: 'k', baseUrl: emu.url });
    const dep = await a.provision(
      { ...spec, name: 'io-payload', replicas: 1 },
      { store: new MemoryRecordStore() },
    );
    const d = emu.deployments.get(dep.data.deploymentId as string)!;
    expect(d).toMatchObject({
      name: 'io-payload',
      hardware_id: 27,
      replica_count: 1,
      image: expect.stringContaining('node'),
    });
    expect(await a.quote(spec)).toEqual([
      expect.objectContaining({ adapter: 'ionet', pricePerHourUsd: 0.39 }),
    ]);
    await a.teardown(dep);
    expect(emu.activeContainers()).toBe(0);
  });

  it('puts the image in registry_config (with credentials from the operator machine), not container_config', async () => {
    process.env.STOA_TEST_IONET_REGISTRY = 'reg-secret-1';
    const a = ionetAdapter({
      apiKey: 'k',
      baseUrl: emu.url,
      registry: { username: 'robot', secretRef: 'env:STOA_TEST_IONET_REGISTRY' },
    });
    const store = new MemoryRecordStore();
    const dep = await a.provision({ ...spec, name: 'io-registry', replicas: 1 }, { store });
    const d = emu.deployments.get(dep.data.deploymentId as string)!;
    expect(d.registry_config).toEqual({
      image_url: expect.stringContaining('node'),
      registry_username: 'robot',
      registry_secret: 'reg-secret-1',
    });
    expect(d.env).toMatchObject({ STOA_OPERATOR_ADDRESS: spec.operatorAddress });
    expect(JSON.stringify(await store.get('io-registry'))).not.toContain('reg-secret-1');
    await a.teardown(dep);
  });

  it('reads FastAPI 422s (detail as an array) into a message naming the field', async () => {
    const r = await fetch(`${emu.url}/enterprise/v1/io-cloud/caas/price?hardware_id=27`, {
      headers: { 'x-api-key': 'k' },
    });
    expect(r.status).toBe(422);
    const error = errorFromHttpStatus(r.status, await r.text());
    expect(error.message).toBe('HTTP 422: query.location_ids: Field required');
  });

  it('sends /price location_ids as one JSON array, as io.net documents it (repeated values are refused)', async () => {
    // io.net docs, reference/caas/price-estimation: location_ids "list of ids in a form of json array".
    const price = (query: string) =>
      fetch(
        `${emu.url}/enterprise/v1/io-cloud/caas/price?hardware_id=27&duration_hours=1&gpus_per_container=1&replica_count=1&${query}`,
        { headers: { 'x-api-key': 'k' } },
      );
    expect((await price(`location_ids=${encodeURIComponent('[1]')}`)).status).toBe(200);
    const repeated = await price('location_ids=1&location_ids=2');
    expect(repeated.status).toBe(422);
    expect(errorFromHttpStatus(422, await repeated.text()).message).toMatch(
      /query\.location_ids: list of ids/,
    );
    const [quote] = await ionetAdapter({ apiKey: 'k', baseUrl: emu.url }).quote({ ...spec, replicas: 1 });
    expect(quote!.pricePerHourUsd).toBeGreaterThan(0);
  });

  it('stops with the endpoint and field named when a response lacks an unconfirmed field', async () => {
    // A server that knows the hardware but answers /available-replicas without `available_replicas`.
    const odd = await startServer((_req, res, _body, url) =>
      url.pathname.endsWith('/hardware/max-gpus-per-container')
        ? sendJson(res, 200, {
            data: {
              hardware: [
                {
                  hardware_id: 1,
                  hardware_name: 'GeForce RTX 4090 24GB',
                  brand_name: 'NVIDIA',
                  max_gpus_per_container: 8,
                  available: 4,
                },
              ],
            },
          })
        : sendJson(res, 200, { data: [{ id: 1, iso2: 'US', name: 'United States', replicas: 3 }] }),
    );
    try {
      const error = await ionetAdapter({ apiKey: 'k', baseUrl: odd.url })
        .quote({ ...spec, replicas: 1 })
        .catch((e) => e);
      expect(error).toBeInstanceOf(CapacityError);
      expect(error.message).toMatch(
        /io\.net \/available-replicas answered without the expected data\.0\.available_replicas/,
      );
    } finally {
      await odd.close();
    }
  });

  it('finds its deployment by name on a later page of /deployments when resuming', async () => {
    const a = ionetAdapter({ apiKey: 'k', baseUrl: emu.url });
    const store = new MemoryRecordStore();
    const first = await a.provision({ ...spec, name: 'io-paged', replicas: 1 }, { store });
    for (let i = 0; i < 11; i++)
      await a.provision({ ...spec, name: `io-filler-${i}`, replicas: 1 }, { store: new MemoryRecordStore() });
    // A crash lost the record's deployment id: resuming must find it by name, past page 1.
    const lost = await store.get('io-paged');
    await store.put({ ...lost!, state: 'provisioning', steps: [], data: {} });
    const before = emu.deployments.size;
    const again = await a.provision({ ...spec, name: 'io-paged', replicas: 1 }, { store });
    expect(again.data.deploymentId).toBe(first.data.deploymentId);
    expect(emu.deployments.size).toBe(before);
    expect(
      emu.requests.filter((q) => q.startsWith('GET /enterprise/v1/io-cloud/caas/deployments')).length,
    ).toBeGreaterThan(1);
    for (const [, d] of emu.deployments)
      if (d.name.startsWith('io-')) await a.teardown({ ...first, data: { deploymentId: d.id } });
  });

  it('reads logs as server-sent events, stdout and stderr each with its stream parameter', async () => {
    const a = ionetAdapter({ apiKey: 'k', baseUrl: emu.url });
    const dep = await a.provision(
      { ...spec, name: 'io-sse', replicas: 1 },
      { store: new MemoryRecordStore() },
    );
    const lines = [];
    for await (const l of a.logs(dep, {})) lines.push(l);
    expect(lines.map((l) => l.stream).sort()).toEqual(['stderr', 'stdout', 'stdout', 'stdout']);
    expect(lines.find((l) => l.stream === 'stderr')!.line).toMatch(/warning: no GPU telemetry yet$/);
    const raw = await fetch(
      `${emu.url}/enterprise/v1/io-cloud/caas/deployment/${dep.data.deploymentId}/log/x`,
      {
        headers: { 'x-api-key': 'k' },
      },
    );
    expect(raw.status).toBe(404);
    await a.teardown(dep);
  });

  it('classifies failures', async () => {
    await expect(ionetAdapter({ apiKey: 'bad', baseUrl: emu.url }).quote(spec)).rejects.toBeInstanceOf(
      UserError,
    );
    const a = ionetAdapter({ apiKey: 'k', baseUrl: emu.url });
    await expect(
      a.provision({ ...spec, name: 'io-region', region: 'mars' }, { store: new MemoryRecordStore() }),
    ).rejects.toBeInstanceOf(CapacityError);
  });
});

describe('ionet emulator running workloads', () => {
  const tag = `ionet-${randomUUID()}`;
  const fakeNode = fileURLToPath(new URL('../testing/fake-node.mjs', import.meta.url));
  let emu: IonetEmulator;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stoa-ionet-'));
    emu = await new IonetEmulator({
      apiKey: 'k',
      runWorkloads: { command: [process.execPath, fakeNode], dir },
    }).start();
  });
  afterAll(async () => {
    await emu.close();
    for (const pid of await processesWithEnv('STOA_TEST_TAG', tag)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  const adapter = () => ionetAdapter({ apiKey: 'k', baseUrl: emu.url, readyTimeoutMs: 10_000 });

  it('runs each container as a process with the env the adapter sent; health, logs and teardown are the process’s', async () => {
    const a = adapter();
    const dep = await a.provision(
      { ...spec, name: 'io-run', env: { STOA_TEST_TAG: tag, FAKE_READY_AFTER_MS: '300' } },
      { store: new MemoryRecordStore() },
    );
    const pids = await processesWithEnv('STOA_TEST_TAG', tag);
    expect(pids).toHaveLength(2);
    const status = await a.status(dep);
    expect(status.state).toBe('running');
    expect(new Set(status.endpoints).size).toBe(2);
    for (const url of status.endpoints) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // Answered by the process itself: its pid, its model, its own data volume.
      const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ state: 'ready', modelId: spec.modelId, role: 'server' });
      expect(pids).toContain(health.pid);
      expect(health.dataDir).toMatch(new RegExp(`^${dir}/[^/]+/data$`));
    }
    const lines = [];
    for await (const l of a.logs(dep, {})) lines.push(l);
    expect(lines.some((l) => /^node mnist-mlp \(server\) listening on 127\.0\.0\.1:\d+$/.test(l.line))).toBe(
      true,
    );
    await a.teardown(dep);
    expect(await processesWithEnv('STOA_TEST_TAG', tag)).toEqual([]);
    expect(emu.activeContainers()).toBe(0);
    const gone = emu.deployments.get(dep.data.deploymentId as string)!;
    expect(gone.containers.map((c) => c.status)).toEqual(['terminated', 'terminated']);
  });

  it('reports a container whose process exits as failed, with nothing left running', async () => {
    const error = await adapter()
      .provision(
        { ...spec, name: 'io-crash', replicas: 1, env: { STOA_TEST_TAG: tag, FAKE_FAIL: '1' } },
        { store: new MemoryRecordStore() },
      )
      .catch((e) => e);
    expect(error).toBeInstanceOf(CapacityError);
    expect(error.message).toMatch(/io\.net container \S+ exited/);
    expect(emu.workloads()).toEqual([]);
  });
});
