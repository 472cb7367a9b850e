import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as vitest from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { MemoryRecordStore } from '../core/record-store.js';
import { conformanceSuite } from '../kit/conformance.js';
import { processesWithEnv } from '../testing/proc.js';
import { startTestSshd, type TestSshd } from '../testing/sshd.js';
import { type SelfHostedConfig, selfHostedAdapter } from './adapter.js';

const fakeNode = fileURLToPath(new URL('../testing/fake-node.mjs', import.meta.url));
const tag = `ssh-${randomUUID()}`;
const baseDir = `/tmp/stoa-ssh-${tag}`;
let sshd: TestSshd | undefined;
const sshdReady = startTestSshd().then((s) => {
  sshd = s;
  return s;
});

const spec = {
  name: 'sh-ssh',
  modelId: 'mnist-mlp',
  artifactUrl: 'http://127.0.0.1:1/artifacts/mnist',
  rpcUrl: 'http://127.0.0.1:8545',
  operatorAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  command: [process.execPath, fakeNode],
};

const make = (s: TestSshd, extra: Partial<SelfHostedConfig> = {}) =>
  selfHostedAdapter({
    host: {
      kind: 'ssh',
      host: '127.0.0.1',
      port: s.port,
      user: s.user,
      identityFile: s.identityFile,
      knownHostsFile: s.knownHostsFile,
    },
    baseDir,
    nodeBinary: process.execPath,
    env: { STOA_TEST_TAG: tag },
    healthTimeoutMs: 15_000,
    ...extra,
  });

afterAll(async () => {
  for (const pid of await processesWithEnv('STOA_TEST_TAG', tag)) process.kill(pid, 'SIGKILL');
  await sshd?.stop();
  await rm(baseDir, { recursive: true, force: true });
});

conformanceSuite(vitest, 'self-hosted (ssh, real OpenSSH on loopback)', async () => {
  const s = await sshdReady;
  return {
    adapter: make(s),
    spec,
    activeResources: async () => (await processesWithEnv('STOA_TEST_TAG', tag)).length,
    failures: [
      {
        name: 'unknown SSH key',
        kind: 'user',
        code: 'bad-credentials',
        adapter: make(s, {
          host: {
            kind: 'ssh',
            host: '127.0.0.1',
            port: s.port,
            user: s.user,
            identityFile: fakeNode,
            knownHostsFile: s.knownHostsFile,
          },
        }),
      },
    ],
  };
});

describe('self-hosted over SSH', () => {
  let s: TestSshd;
  beforeAll(async () => {
    s = await sshdReady;
  });

  it('starts the node remotely through sshd; it answers /health on 127.0.0.1; teardown stops it', async () => {
    const a = make(s);
    const store = new MemoryRecordStore();
    const dep = await a.provision({ ...spec, name: 'ssh-health' }, { store });
    const [endpoint] = dep.data.endpoints as string[];
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const h = (await (await fetch(`${endpoint}/health`)).json()) as Record<string, unknown>;
    expect(h).toMatchObject({ state: 'ready', modelId: 'mnist-mlp', role: 'server' });
    expect(await processesWithEnv('STOA_DEPLOYMENT_ID', 'ssh-health')).toHaveLength(1);
    expect((await a.status(dep)).state).toBe('running');
    await a.teardown(dep, { store });
    expect(await processesWithEnv('STOA_DEPLOYMENT_ID', 'ssh-health')).toHaveLength(0);
    await expect(fetch(`${endpoint}/health`)).rejects.toThrow();
  });

  it('rejects an unknown host key as a user error', async () => {
    const a = make(s, {
      host: {
        kind: 'ssh',
        host: '127.0.0.1',
        port: s.port,
        user: s.user,
        identityFile: s.identityFile,
        knownHostsFile: '/dev/null',
      },
    });
    await expect(
      a.provision({ ...spec, name: 'ssh-hostkey' }, { store: new MemoryRecordStore() }),
    ).rejects.toBeInstanceOf(UserError);
  });
});
