import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MemoryRecordStore,
  type NetworkAdapter,
  processesWithEnv,
  selfHostedAdapter,
  startTestSshd,
  type TestSshd,
} from '@stoa/adapters';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEYS, Deployment } from './dev/deployment.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TAG = `node-${process.pid}-${Date.now()}`;
let d: Deployment;
let baseDir: string;
let sshd: TestSshd | undefined;

beforeAll(async () => {
  d = await Deployment.start(importMnistModel('cnn').model);
  baseDir = await mkdtemp(join(tmpdir(), 'stoa-sh-node-'));
  process.env.STOA_TEST_OPERATOR_KEY = DEV_KEYS.nodeC;
});
afterAll(async () => {
  for (const pid of await processesWithEnv('STOA_TEST_TAG', TAG)) process.kill(pid, 'SIGKILL');
  await sshd?.stop();
  await d?.stop();
  await rm(baseDir, { recursive: true, force: true });
});

/** Provisions the real node (apps/node, its default command) and checks it serves. */
async function provisionRealNode(adapter: NetworkAdapter, name: string): Promise<void> {
  const store = new MemoryRecordStore();
  const env = d.env(DEV_KEYS.nodeC);
  const spec = {
    name,
    modelId: d.modelId,
    artifactUrl: env.STOA_ARTIFACT_URL!,
    rpcUrl: d.chain.rpcUrl,
    contractsFile: env.STOA_CONTRACTS_FILE!,
    operatorKeyRef: 'env:STOA_TEST_OPERATOR_KEY',
    role: 'server' as const,
    cwd: ROOT,
  };
  const deployment = await adapter.provision(spec, { store });
  const [endpoint] = deployment.data.endpoints as string[];
  try {
    const health = (await (await fetch(`${endpoint}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ state: 'ready', modelId: d.modelId, role: 'server' });
    const digit = Array.from(loadMnist('test').images.subarray(0, 784));
    const answer = await fetch(`${endpoint}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [digit] }),
    });
    expect(answer.status).toBe(200);
  } finally {
    await adapter.teardown(deployment, { store });
  }
  await expect(fetch(`${endpoint}/health`)).rejects.toThrow();
}

describe('the self-hosted adapter with the real node', () => {
  it('starts apps/node as a local process that answers /health and serves', async () => {
    const adapter = selfHostedAdapter({ baseDir, env: { STOA_TEST_TAG: TAG }, healthTimeoutMs: 60_000 });
    await provisionRealNode(adapter, 'real-local');
  });

  it('starts apps/node over SSH (a real sshd on loopback) that answers /health and serves', async () => {
    sshd = await startTestSshd();
    const adapter = selfHostedAdapter({
      host: {
        kind: 'ssh',
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        identityFile: sshd.identityFile,
        knownHostsFile: sshd.knownHostsFile,
      },
      baseDir: join(baseDir, 'ssh'),
      nodeBinary: process.execPath,
      env: { STOA_TEST_TAG: TAG, PATH: process.env.PATH ?? '/usr/bin:/bin' },
      healthTimeoutMs: 60_000,
    });
    await provisionRealNode(adapter, 'real-ssh');
  });
});
