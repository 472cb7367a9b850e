import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vitest from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MemoryRecordStore } from '../core/record-store.js';
import { nodeSpecSchema } from '../core/types.js';
import { conformanceSuite } from '../kit/conformance.js';
import { processesWithEnv } from '../testing/proc.js';
import { selfHostedAdapter } from './adapter.js';
import { kubernetesManifests } from './kubernetes.js';

const fakeNode = fileURLToPath(new URL('../testing/fake-node.mjs', import.meta.url));
const tag = `local-${randomUUID()}`;
let baseDir: string;

const spec = {
  name: 'sh-local',
  modelId: 'mnist-mlp',
  artifactUrl: 'http://127.0.0.1:1/artifacts/mnist',
  rpcUrl: 'http://127.0.0.1:8545',
  operatorAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  role: 'server' as const,
  command: [process.execPath, fakeNode],
  replicas: 2,
};

const make = (extra: Parameters<typeof selfHostedAdapter>[0] = {}) =>
  selfHostedAdapter({ baseDir, env: { STOA_TEST_TAG: tag }, healthTimeoutMs: 10_000, ...extra });

beforeAll(async () => {
  baseDir = await mkdtemp(join(tmpdir(), 'stoa-sh-'));
});
afterAll(async () => {
  for (const pid of await processesWithEnv('STOA_TEST_TAG', tag)) process.kill(pid, 'SIGKILL');
  await rm(baseDir, { recursive: true, force: true });
});

conformanceSuite(vitest, 'self-hosted (local processes)', async () => ({
  adapter: make(),
  spec,
  activeResources: async () => (await processesWithEnv('STOA_TEST_TAG', tag)).length,
  failures: [
    {
      name: 'node exits at start',
      kind: 'user',
      code: 'invalid-spec',
      adapter: make({ env: { STOA_TEST_TAG: tag, FAKE_FAIL: '1' } }),
    },
  ],
}));

describe('self-hosted local processes', () => {
  it('starts real nodes that answer /health with the environment contract', async () => {
    const adapter = make();
    const store = new MemoryRecordStore();
    const dep = await adapter.provision({ ...spec, name: 'sh-health', role: 'watcher' }, { store });
    const endpoints = dep.data.endpoints as string[];
    expect(endpoints).toHaveLength(2);
    for (const e of endpoints) {
      expect(e).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const h = (await (await fetch(`${e}/health`)).json()) as Record<string, unknown>;
      expect(h).toMatchObject({ state: 'ready', modelId: 'mnist-mlp', role: 'watcher' });
      expect(String(h.dataDir)).toContain(baseDir);
    }
    const lines = [];
    for await (const l of adapter.logs(dep, { tail: 5 })) lines.push(l);
    expect(lines.some((l) => l.line.includes('listening on 127.0.0.1'))).toBe(true);
    expect(new Set(lines.map((l) => l.replica))).toEqual(new Set(['r0', 'r1']));
    await adapter.teardown(dep, { store });
    for (const e of endpoints) await expect(fetch(`${e}/health`)).rejects.toThrow();
  });

  it('starts a replica again on a new port when its port was taken before it could bind', async () => {
    const adapter = make({ env: { STOA_TEST_TAG: tag, FAKE_PORT_TAKEN_ONCE: '1' } });
    const store = new MemoryRecordStore();
    const dep = await adapter.provision({ ...spec, name: 'sh-port-taken', replicas: 1 }, { store });
    const [endpoint] = dep.data.endpoints as string[];
    expect(((await (await fetch(`${endpoint}/health`)).json()) as { state: string }).state).toBe('ready');
    expect((await adapter.status(dep)).state).toBe('running');
    await adapter.teardown(dep, { store });
  });

  it('defaults to the standard node command', () => {
    expect(nodeSpecSchema.parse({ ...spec, command: undefined }).command).toBeUndefined();
  });
});

describe('kubernetes manifests', () => {
  it('generates a Deployment and a Service that parse back', () => {
    const s = nodeSpecSchema.parse({
      ...spec,
      name: 'k8s',
      gpu: { kind: 'nvidia-a100', count: 1 },
      replicas: 3,
    });
    const yaml = kubernetesManifests(s, { namespace: 'stoa' });
    const docs = parseAllDocuments(yaml).map((d) => {
      expect(d.errors).toEqual([]);
      // biome-ignore lint/suspicious/noExplicitAny: parsed YAML of the generated manifests, inspected by the assertions
      return d.toJS() as Record<string, any>;
    });
    expect(docs.map((d) => d.kind)).toEqual(['StatefulSet', 'Service']);
    const [dep, svc] = docs;
    expect(dep!.apiVersion).toBe('apps/v1');
    expect(dep!.metadata).toMatchObject({ name: 'stoa-k8s', namespace: 'stoa' });
    expect(dep!.spec.replicas).toBe(3);
    expect(dep!.spec.selector.matchLabels).toEqual(svc!.spec.selector);
    expect(dep!.spec.template.metadata.labels).toMatchObject(dep!.spec.selector.matchLabels);
    const c = dep!.spec.template.spec.containers[0];
    expect(c.image).toBe(s.image);
    expect(c.resources.limits['nvidia.com/gpu']).toBe('1');
    // biome-ignore lint/suspicious/noExplicitAny: parsed YAML of the generated manifests, inspected by the assertions
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      STOA_MODEL_ID: 'mnist-mlp',
      STOA_LISTEN: '0.0.0.0:8080',
      STOA_ROLE: 'server',
    });
    expect(env.STOA_OPERATOR_KEY).toBeUndefined();
    expect(env.STOA_OPERATOR_ADDRESS).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(dep!.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(`${s.storageGi}Gi`);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(svc!.spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
  });
});
