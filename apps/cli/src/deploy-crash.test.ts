import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesWithEnv } from '@stoa/adapters';
import { databaseUrl, marker, openDatabase } from '@stoa/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  akashNetwork,
  type Emulators,
  ionetNetwork,
  setNetworks,
  startEmulators,
  stoa,
} from './testing/harness.js';

/**
 * Crash safety: one deploy to self-hosted + Akash + io.net, SIGKILLed at eight points in turn
 * (each rerun resumes and is itself killed at the next point); the last run completes. Then
 * exactly the intended replicas exist — one node process, one Akash deployment and lease, one
 * io.net container — and the database agrees; teardown leaves nothing.
 */
const root = mkdtempSync(join(tmpdir(), 'stoa-crash-'));
let emulators: Emulators;
let dir: string;

beforeAll(async () => {
  emulators = await startEmulators();
  expect((await stoa(['init', 'crash'], root)).code).toBe(0);
  dir = join(root, 'crash');
  setNetworks(dir, `['self-hosted', ${akashNetwork(emulators)}, ${ionetNetwork(emulators)}]`);
}, 600_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const KILL_POINTS = [
  /… build/,
  /✔ publish/,
  /… register/,
  /… provision crash-p0-a0/,
  /… provision crash-p1-a0/,
  /✔ provision crash-p1-a0/,
  /… provision crash-p2-a0/,
  /… key/,
];

describe('deploy survives SIGKILL', { timeout: 1_200_000 }, () => {
  it('at eight points, then completes with exactly the intended replicas', async () => {
    for (const point of KILL_POINTS) {
      const run = await stoa(['deploy'], dir, emulators.env, point);
      expect(run.signal, `${point}: ${run.stdout}${run.stderr}`).toBe('SIGKILL');
    }
    const last = await stoa(['deploy'], dir, emulators.env);
    expect(last.code, last.stdout + last.stderr).toBe(0);
    expect(last.stdout).toMatch(/resuming deployment/);
    expect(last.stdout).toMatch(/API key {3}sk_/);

    expect(emulators.akash.activeResources()).toBe(2); // one deployment, one lease
    expect(emulators.ionet.activeContainers()).toBe(1);
    expect(await processesWithEnv('STOA_DEPLOYMENT_ID', 'crash-p0-a0')).not.toEqual([]);
    const db = await openDatabase(databaseUrl(dir));
    try {
      const deployments = await db.deployment.findMany();
      expect(deployments.map((d) => d.state)).toEqual(['live']);
      const replicas = await db.replica.findMany({ orderBy: { adapterId: 'asc' } });
      expect(replicas.map((r) => [r.adapterId, r.network, r.state])).toEqual([
        ['crash-p0-a0', 'self-hosted', 'running'],
        ['crash-p1-a0', 'akash', 'running'],
        ['crash-p2-a0', 'ionet', 'running'],
      ]);
      expect(await db.apiKey.count({ where: { revokedAt: null } })).toBe(1);
      expect(await db.artifact.count()).toBe(1);
    } finally {
      await db.$disconnect();
    }

    const teardown = await stoa(['teardown'], dir, emulators.env);
    expect(teardown.code, teardown.stderr).toBe(0);
    expect(emulators.active()).toBe(0);
    expect(await processesWithEnv('STOA_DEPLOYMENT_ID', 'crash-p0-a0')).toEqual([]);
    // No chain or artifact store outlives the teardown, even one started by a killed run.
    const stoaDir = join(dir, '.stoa');
    expect(await processesWithEnv('STOA_SERVICE', marker(stoaDir, 'chain'))).toEqual([]);
    expect(await processesWithEnv('STOA_SERVICE', marker(stoaDir, 'store'))).toEqual([]);
  });
});
