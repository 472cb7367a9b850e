import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  findKey,
  MemoryRecordStore,
  type NetworkAdapter,
  processesWithEnv,
  revokeNode,
  selfHostedAdapter,
  startTestSshd,
  type TestSshd,
} from '@stoa/adapters';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { privateKeyToAccount } from 'viem/accounts';
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
async function provisionRealNode(adapter: NetworkAdapter, name: string, dir: string): Promise<`0x${string}`> {
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
  let node: `0x${string}` = '0x';
  try {
    const health = (await (await fetch(`${endpoint}/health`)).json()) as Record<string, unknown>;
    node = health.node as `0x${string}`;
    expect(health).toMatchObject({ state: 'ready', modelId: d.modelId, role: 'server' });
    const digit = Array.from(loadMnist('test').images.subarray(0, 784));
    const answer = await fetch(`${endpoint}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [digit] }),
    });
    expect(answer.status).toBe(200);
    await operatorKeyStayedHome(health.node as `0x${string}`, dir);
  } finally {
    await adapter.teardown(deployment, { store });
  }
  await expect(fetch(`${endpoint}/health`)).rejects.toThrow();
  return node;
}

/**
 * The node signs with a key of its own that the operator authorized on chain; the operator's
 * key is nowhere in the node's files, log, arguments or environment.
 */
async function operatorKeyStayedHome(node: `0x${string}`, dir: string): Promise<void> {
  const operator = privateKeyToAccount(DEV_KEYS.nodeC).address;
  expect(node.toLowerCase()).not.toBe(operator.toLowerCase());
  expect(await d.operatorOf(node)).toBe(operator);
  expect(await d.bondedOf(node)).toBe(await d.bondedOf(operator));
  const seen: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) seen.push(await readFile(join(e.parentPath, e.name), 'utf8'));
  for (const pid of await processesWithEnv('STOA_TEST_TAG', TAG))
    for (const f of ['cmdline', 'environ'])
      seen.push(await readFile(`/proc/${pid}/${f}`, 'utf8').catch(() => ''));
  expect(seen.join('\n')).toContain(`STOA_OPERATOR_ADDRESS=${operator}`);
  expect(seen.filter((text) => findKey(text, DEV_KEYS.nodeC))).toEqual([]);
}

describe('the self-hosted adapter with the real node', () => {
  it('starts apps/node as a local process that answers /health and serves', async () => {
    const adapter = selfHostedAdapter({ baseDir, env: { STOA_TEST_TAG: TAG }, healthTimeoutMs: 60_000 });
    const node = await provisionRealNode(adapter, 'real-local', baseDir);
    // A compromised node key is revoked from the operator's machine: it backs no claim any more.
    await revokeNode({
      rpcUrl: d.chain.rpcUrl,
      contractsFile: d.env(DEV_KEYS.nodeC).STOA_CONTRACTS_FILE!,
      operatorKeyRef: 'env:STOA_TEST_OPERATOR_KEY',
      node,
    });
    expect(await d.bondedOf(node)).toBe(0n);
    expect(await d.operatorOf(node)).toBe(privateKeyToAccount(DEV_KEYS.nodeC).address);
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
    await provisionRealNode(adapter, 'real-ssh', join(baseDir, 'ssh'));
  });
});
