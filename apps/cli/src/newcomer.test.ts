import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKey, processesWithEnv } from '@stoa/adapters';
import { mnemonicToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  akashNetwork,
  type Emulators,
  ionetNetwork,
  json,
  setNetworks,
  startEmulators,
  stoa,
} from './testing/harness.js';

/**
 * A newcomer's flow in a fresh temporary directory: init → build → deploy to self-hosted plus the
 * Akash and io.net emulators → infer with a receipt that verifies → logs → teardown, which leaves
 * no process, lease or container behind. Once with readable output, once with --json.
 */
const root = mkdtempSync(join(tmpdir(), 'stoa-newcomer-'));
let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The dev chain's operator keys the deploy engine stakes with (anvil's accounts 4–9). */
const operatorKeys = Array.from({ length: 6 }, (_, i) => {
  const account = mnemonicToAccount('test test test test test test test test test test test junk', {
    addressIndex: 4 + i,
  });
  return `0x${Buffer.from(account.getHdKey().privateKey!).toString('hex')}` as const;
});

/**
 * Every file the flow left in the project (the SQLite database and its journal, adapter records,
 * logs, artifacts) searched for a secret: the operator keys as hex, base64 or raw bytes, and the
 * API key as issued.
 */
function secretsLeftIn(dir: string, apiKey: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = readFileSync(path);
    const text = bytes.toString('latin1');
    if (text.includes(apiKey)) found.push(`${path}: the API key`);
    for (const key of operatorKeys) {
      const form =
        findKey(text, key) ?? (bytes.includes(Buffer.from(key.slice(2), 'hex')) ? 'raw' : undefined);
      if (form) found.push(`${path}: an operator key (${form})`);
    }
  }
  return found;
}

const networks = () => `['self-hosted', ${akashNetwork(emulators)}, ${ionetNetwork(emulators)}]`;

describe('the newcomer flow', { timeout: 600_000 }, () => {
  it('init → build → deploy → infer --verify → logs → teardown (readable output)', async () => {
    const init = await stoa(['init', 'digits'], root);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('npx stoa deploy');
    const dir = join(root, 'digits');
    setNetworks(dir, networks());
    const env = emulators.env;
    const before = emulators.active();

    const build = await stoa(['build'], dir, env);
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/accuracy {5}float 9\d\.\d%, integer 9\d\.\d% on 200 eval samples/);

    const deploy = await stoa(['deploy'], dir, env);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/1 replica\(s\) on akash/);
    expect(deploy.stdout).toMatch(/1 replica\(s\) on ionet/);
    expect(deploy.stdout).toMatch(/API key {3}sk_[A-Za-z0-9_-]{43}/);
    expect(emulators.active() - before).toBe(3); // the Akash deployment and its lease, the io.net container
    for (const line of deploy.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

    const infer = await stoa(['infer', '--file', 'data/digit.json', '--verify'], dir, env);
    expect(infer.code, infer.stdout + infer.stderr).toBe(0);
    expect(infer.stdout).toContain('verified: the signature recovers to the node');

    const logs = await stoa(['logs', '--replica', 'digits-p0-a0'], dir, env);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/digits-p0-a0 \| .*"msg":"request".*"path":"\/v1\/infer","status":200/);

    const teardown = await stoa(['teardown'], dir, env);
    expect(teardown.code, teardown.stderr).toBe(0);
    expect(teardown.stdout).toMatch(/3 placement\(s\)\s+released/);
    expect(emulators.active()).toBe(before);
    expect(await processesWithEnv('STOA_DEPLOYMENT_ID', 'digits-p0-a0')).toEqual([]);

    const apiKey = /API key {3}(sk_[A-Za-z0-9_-]{43})/.exec(deploy.stdout)![1]!;
    expect(secretsLeftIn(dir, apiKey)).toEqual([]);
    // Control: the same scan finds both secrets once they are written down.
    const control = mkdtempSync(join(root, 'control-'));
    writeFileSync(join(control, 'leak'), `${apiKey} ${Buffer.from(operatorKeys[0]!).toString('base64')}`);
    expect(secretsLeftIn(control, apiKey)).toHaveLength(2);
  });

  it('the same flow with --json, parsed', async () => {
    const init = json<{ dir: string; files: string[] }>(await stoa(['init', 'digits-json', '--json'], root));
    expect(init.files).toContain('stoa.config.ts');
    const dir = init.dir;
    setNetworks(dir, networks());
    // A fee budget: the deploy engine opens the deployment's FeeEscrow account with it as the cap.
    const config = join(dir, 'stoa.config.ts');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        /budget: \{ maxPerHour: 10 \}/,
        "budget: { maxPerHour: 10, maxFees: '0.5 eth' }",
      ),
    );
    const env = emulators.env;
    const before = emulators.active();

    const build = json<{ modelId: string; intAccuracy: number; floatAccuracy: number }>(
      await stoa(['build', '--json'], dir, env),
    );
    expect(build.modelId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(build.intAccuracy).toBeGreaterThan(0.95);

    const deploy = json<{ endpoints: string[]; apiKey: string; plan: { placements: { network: string }[] } }>(
      await stoa(['deploy', '--json'], dir, env),
    );
    expect(deploy.plan.placements.map((p) => p.network)).toEqual(['self-hosted', 'akash', 'ionet']);
    expect(deploy.apiKey).toMatch(/^sk_/);
    expect(deploy.endpoints).toHaveLength(3);

    const infer = json<{ verified: boolean; receipt: { node: string; modelId: string } }>(
      await stoa(['infer', '--file', 'data/digit.json', '--verify', '--json'], dir, env),
    );
    expect(infer.verified).toBe(true);
    expect(infer.receipt.modelId).toBe(build.modelId);

    const usage = json<{ fees: { escrow: { capWei: string; paidWei: string; availableWei: string } }[] }>(
      await stoa(['usage', '--json'], dir, env),
    );
    expect(usage.fees.map((f) => f.escrow)).toMatchObject([{ capWei: '500000000000000000', paidWei: '0' }]);

    const status = json<{ replicas: { network: string; health: string }[] }>(
      await stoa(['status', '--json'], dir, env),
    );
    expect(status.replicas.map((r) => [r.network, r.health])).toEqual([
      ['self-hosted', 'running'],
      ['akash', 'running'],
      ['ionet', 'running'],
    ]);

    const logs = json<{ lines: { replica: string; line: string }[] }>(
      await stoa(['logs', '--json', '--replica', 'digits-json-p0-a0'], dir, env),
    );
    expect(logs.lines.some((l) => l.line.includes('"msg":"ready"'))).toBe(true);

    const keys = json<{ keys: { prefix: string; revokedAt: string | null }[] }>(
      await stoa(['keys', 'list', '--json'], dir, env),
    );
    expect(keys.keys.map((k) => k.prefix)).toEqual([deploy.apiKey.slice(0, 12)]);

    const teardown = json<{ replicasTornDown: string[]; servicesStopped: string[] }>(
      await stoa(['teardown', '--json'], dir, env),
    );
    expect(teardown.replicasTornDown).toHaveLength(3);
    expect(teardown.servicesStopped.sort()).toEqual(['chain', 'store']);
    expect(emulators.active()).toBe(before);
    expect(await processesWithEnv('STOA_DEPLOYMENT_ID', 'digits-json-p0-a0')).toEqual([]);
  });
});
