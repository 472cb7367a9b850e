import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { akashAdapter } from '../akash/adapter.js';
import { AkashEmulator } from '../akash/emulator.js';
import { generateSdl, manifestFor, sdlToYaml } from '../akash/sdl.js';
import { signerFromMnemonic } from '../akash/tx.js';
import type { NetworkAdapter } from '../core/define-adapter.js';
import { JsonFileRecordStore } from '../core/record-store.js';
import { type NodeSpecInput, nodeSpecSchema } from '../core/types.js';
import { ionetAdapter } from '../ionet/adapter.js';
import { IonetEmulator } from '../ionet/emulator.js';
import { renderAdapter } from '../render/adapter.js';
import { RenderEmulator } from '../render/emulator.js';
import { selfHostedAdapter } from '../self-hosted/adapter.js';
import { kubernetesManifests } from '../self-hosted/kubernetes.js';
import { processesWithEnv } from '../testing/proc.js';
import { findKey } from './operator-key-scan.js';

/**
 * Must-show: the operator key appears in no SDL, manifest, request (URL, header or body), log
 * line, record or process (arguments, environment, files) that an adapter or its deploy path
 * produces. Every output is captured and scanned; a control run proves the scan finds a key.
 */
const operatorKey = generatePrivateKey();
const operator = privateKeyToAccount(operatorKey).address;
const tag = `scan-${randomUUID()}`;
const fakeNode = fileURLToPath(new URL('../testing/fake-node.mjs', import.meta.url));

/** Everything that left the adapter, as text. */
const produced: { where: string; text: string }[] = [];
const realFetch = globalThis.fetch;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stoa-keyscan-'));
  process.env.STOA_SCAN_OPERATOR_KEY = operatorKey;
  globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const body = request.body ? await request.clone().text() : '';
    const headers = JSON.stringify([...request.headers]);
    produced.push({ where: `${request.method} ${request.url}`, text: `${request.url}\n${headers}\n${body}` });
    return realFetch(input, init);
  };
});
afterAll(async () => {
  globalThis.fetch = realFetch;
  delete process.env.STOA_SCAN_OPERATOR_KEY;
  for (const pid of await processesWithEnv('STOA_TEST_TAG', tag)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const base = {
  modelId: 'mnist-mlp',
  artifactUrl: 'https://artifacts.example/mnist',
  rpcUrl: 'https://rpc.example',
  operatorKeyRef: 'env:STOA_SCAN_OPERATOR_KEY',
  env: { STOA_NOTE: 'an ordinary variable' },
};

/** Provision, read status and logs, tear down; keep every record file and log line as output. */
async function exercise(adapter: NetworkAdapter, spec: NodeSpecInput): Promise<void> {
  const storeDir = join(dir, `${adapter.name}-${spec.name}`);
  const store = new JsonFileRecordStore(storeDir);
  const dep = await adapter.provision(spec, { store });
  produced.push({ where: `${adapter.name} status`, text: JSON.stringify(await adapter.status(dep)) });
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 1500);
  try {
    for await (const line of adapter.logs(dep, { tail: 50, signal: ac.signal }))
      produced.push({ where: `${adapter.name} log`, text: JSON.stringify(line) });
  } catch {
    // the log stream ends when aborted
  } finally {
    clearTimeout(timer);
  }
  await adapter.teardown(dep, { store });
  for (const f of await readdir(storeDir))
    produced.push({ where: `${adapter.name} record ${f}`, text: await readFile(join(storeDir, f), 'utf8') });
}

/** The processes a self-hosted deployment started: their arguments, environment and files. */
async function processTexts(): Promise<{ where: string; text: string }[]> {
  const out: { where: string; text: string }[] = [];
  for (const pid of await processesWithEnv('STOA_TEST_TAG', tag)) {
    for (const f of ['cmdline', 'environ']) {
      const text = await readFile(`/proc/${pid}/${f}`, 'utf8').catch(() => '');
      out.push({ where: `process ${pid} ${f}`, text: text.replace(/\0/g, '\n') });
    }
  }
  return out;
}

async function filesUnder(root: string): Promise<{ where: string; text: string }[]> {
  const out: { where: string; text: string }[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name);
      out.push({ where: `file ${p}`, text: await readFile(p, 'utf8') });
    }
  }
  return out;
}

describe('the operator key never leaves the operator', () => {
  it('is in nothing the Akash, io.net, Render, self-hosted and Kubernetes paths produce', async () => {
    const mnemonic = (await DirectSecp256k1HdWallet.generate(24, { prefix: 'akash' })).mnemonic;
    const akash = await new AkashEmulator({
      accounts: { [(await signerFromMnemonic(mnemonic)).address]: 100_000_000 },
      providers: [
        { owner: 'akash1provcheap000000000000000000000000000', attributes: { region: 'eu' }, priceUakt: 900 },
      ],
    }).start();
    const ionet = await new IonetEmulator({ apiKey: 'io-key' }).start();
    const render = await new RenderEmulator({ keys: { 'key-1': 'secret-1' } }).start();
    try {
      const gpu = { kind: 'nvidia-rtx4090', count: 1 };
      await exercise(
        akashAdapter({ mnemonic, restUrl: akash.restUrl, bidTimeoutMs: 1500, readyTimeoutMs: 5000 }),
        {
          ...base,
          name: 'scan-akash',
          gpu: { kind: 'nvidia-h100', count: 1 },
        },
      );
      // The provider calls go through undici with the pinned certificate (not the global fetch
      // captured above): take them as the provider received them.
      expect(akash.providerRequests.some((r) => r.method === 'PUT' && r.url.endsWith('/manifest'))).toBe(
        true,
      );
      for (const r of akash.providerRequests)
        produced.push({
          where: `akash provider ${r.method} ${r.url}`,
          text: `${r.url}\n${r.headers}\n${r.body}`,
        });
      await exercise(ionetAdapter({ apiKey: 'io-key', baseUrl: ionet.url }), {
        ...base,
        name: 'scan-ionet',
        gpu,
      });
      await exercise(renderAdapter({ keyId: 'key-1', secret: 'secret-1', baseUrl: render.url }), {
        ...base,
        name: 'scan-render',
        gpu,
      });
      const shDir = join(dir, 'self-hosted');
      const selfHosted = selfHostedAdapter({
        baseDir: shDir,
        env: { STOA_TEST_TAG: tag },
        healthTimeoutMs: 10_000,
      });
      const spec = { ...base, name: 'scan-local', command: [process.execPath, fakeNode] };
      const dep = await selfHosted.provision(spec, { store: new JsonFileRecordStore(join(dir, 'sh-store')) });
      produced.push(...(await processTexts()), ...(await filesUnder(shDir)));
      const live = produced.filter((p) => p.where.includes('environ') && p.text.includes(operator));
      expect(live.length).toBeGreaterThan(0); // the scan saw the node's environment: the address is there
      await selfHosted.teardown(dep);
      produced.push(...(await filesUnder(join(dir, 'sh-store'))));

      const parsed = nodeSpecSchema.parse({
        ...base,
        name: 'scan-docs',
        gpu: { kind: 'nvidia-h100', count: 1 },
      });
      const sdl = generateSdl(parsed, { maxUactPerBlock: 5000 });
      produced.push({ where: 'akash SDL', text: sdlToYaml(sdl) });
      produced.push({ where: 'akash manifest', text: JSON.stringify(manifestFor(sdl)) });
      produced.push({ where: 'kubernetes manifests', text: kubernetesManifests(parsed) });
    } finally {
      await akash.close();
      await ionet.close();
      await render.close();
    }
    const wheres = new Set(produced.map((p) => p.where.split(' ')[0]));
    expect(produced.length).toBeGreaterThan(30);
    expect([...wheres]).toEqual(expect.arrayContaining(['POST', 'GET', 'PUT', 'akash', 'file', 'process']));
    const leaks = produced.filter((p) => findKey(p.text, operatorKey)).map((p) => p.where);
    expect(leaks).toEqual([]);
    // The node is told whose stake backs it, by address only.
    expect(
      produced.some((p) => p.where === 'akash SDL' && p.text.includes(`STOA_OPERATOR_ADDRESS=${operator}`)),
    ).toBe(true);
  }, 120_000);

  it('refuses a key handed to a node under a key-like name, naming the variable', async () => {
    const a = ionetAdapter({ apiKey: 'io-key', baseUrl: 'http://127.0.0.1:1' });
    await expect(
      a.provision(
        {
          ...base,
          name: 'scan-refuse',
          gpu: { kind: 'nvidia-rtx4090', count: 1 },
          env: { STOA_OPERATOR_KEY: operatorKey },
        },
        { store: new JsonFileRecordStore(join(dir, 'refuse')) },
      ),
    ).rejects.toThrow(/env\.STOA_OPERATOR_KEY: a key must not be sent to a node/);
  });

  it('(control) finds a key hidden under an innocent name, as hex and inside base64', async () => {
    const ionet = await new IonetEmulator({ apiKey: 'io-key' }).start();
    const before = produced.length;
    try {
      const dep = await ionetAdapter({ apiKey: 'io-key', baseUrl: ionet.url }).provision(
        {
          ...base,
          name: 'scan-control',
          gpu: { kind: 'nvidia-rtx4090', count: 1 },
          env: { STOA_NOTE: operatorKey },
        },
        { store: new JsonFileRecordStore(join(dir, 'control')) },
      );
      await ionetAdapter({ apiKey: 'io-key', baseUrl: ionet.url }).teardown(dep);
    } finally {
      await ionet.close();
    }
    expect(produced.slice(before).filter((p) => findKey(p.text, operatorKey)).length).toBeGreaterThan(0);
    const hidden = Buffer.from(`{"tx":"${operatorKey.slice(2)}"}`).toString('base64');
    expect(findKey(`tx_bytes=${hidden}`, operatorKey)).toBe('base64');
    expect(findKey(Buffer.from(operatorKey.slice(2), 'hex').toString('base64url'), operatorKey)).toBe(
      'base64',
    );
    expect(findKey('nothing here', operatorKey)).toBeUndefined();
  });
});
