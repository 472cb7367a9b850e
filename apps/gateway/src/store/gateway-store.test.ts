import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createApiKey,
  openDatabase,
  revokeApiKey,
  type StoaDb,
  startTestPostgres,
  type TestPostgres,
  type UsageCell,
  usageTotals,
} from '@stoa/sdk';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayStore } from './gateway-store.js';

const dir = mkdtempSync(join(tmpdir(), 'stoa-gateway-store-'));
let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(() => {
  postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['sqlite', 'postgresql'] as const)("the gateway's own SQL connection on %s", (provider) => {
  it('polls key versions, counts live instances, writes a usage batch once however often it is replayed, and lists live deployments', async () => {
    const url =
      provider === 'sqlite' ? `file:${join(dir, 'stoa.db')}` : postgres.createDatabase('stoa_gateway_store');
    const db: StoaDb = await openDatabase(url);
    const store = new GatewayStore(db);
    try {
      const project = await db.project.create({ data: { name: 'p', dir } });
      const key = await createApiKey(db, dir, project.id, 'a');
      const before = (await store.keyVersions()).get(project.id);
      expect(before).toBeGreaterThan(0);
      await revokeApiKey(db, key.id);
      expect((await store.keyVersions()).get(project.id)).toBe(before! + 1);

      const now = new Date();
      expect(await store.heartbeat('a', now, 3_000)).toBe(1);
      expect(await store.heartbeat('b', now, 3_000)).toBe(2);
      // An instance that has not beaten within staleMs no longer counts.
      expect(await store.heartbeat('a', new Date(now.getTime() + 5_000), 3_000)).toBe(1);
      await store.removeInstance('a');
      expect(await db.gatewayInstance.findMany({ select: { id: true } })).toEqual([{ id: 'b' }]);

      const cell = (requests: number, wei: bigint): UsageCell => ({
        keyId: key.id,
        modelId: '0xabc',
        network: 'akash',
        node: '0x1',
        requests,
        errors: 1,
        computeOps: 2n ** 40n,
        latencyMs: 2.5,
        costWei: wei,
        periodStart: now,
      });
      const receipts = ['r1', 'r2'].map((id) => ({
        id: `${id}-${randomUUID()}`,
        keyId: key.id,
        deploymentId: 'd',
        modelId: '0xabc',
        network: 'akash',
        node: '0x1',
        replicaUrl: 'http://127.0.0.1:1',
        receipt: JSON.stringify({ receipt: { nonce: '1' } }),
      }));
      const batch = [cell(3, 10n ** 20n), cell(2, 1n)];
      expect(await store.writeUsageBatch('i:0', batch, receipts)).toBe(true);
      // The replay after a crash: same id, nothing written twice.
      expect(await store.writeUsageBatch('i:0', batch, receipts)).toBe(false);
      expect(await store.writeUsageBatch('i:1', [], [])).toBe(false);

      // What the sdk (Prisma) reads back: the same values, every wei and op.
      expect(await usageTotals(db, { keyId: key.id, since: new Date(now.getTime() - 1) })).toEqual([
        {
          keyId: key.id,
          modelId: '0xabc',
          network: 'akash',
          node: '0x1',
          requests: 5,
          errors: 2,
          computeOps: (2n ** 41n).toString(),
          meanLatencyMs: 1,
          costWei: (10n ** 20n + 1n).toString(),
        },
      ]);
      const stored = await db.gatewayReceipt.findUnique({ where: { id: receipts[0]!.id } });
      expect(stored).toMatchObject({ keyId: key.id, receipt: receipts[0]!.receipt });
      expect(await db.gatewayReceipt.count()).toBe(2);

      // The catalog's refresh: live deployments oldest first, each with its model's name and id
      // and only its running replicas that have an endpoint; a live one with none has none.
      const model = await db.model.create({
        data: {
          projectId: project.id,
          name: 'mnist',
          modelId: '0xAB',
          weightsRoot: '0x0',
          onnxPath: 'm.onnx',
          activationBits: 8,
        },
      });
      const deploy = (name: string, state: string, at: number) =>
        db.deployment.create({
          data: {
            projectId: project.id,
            modelRef: model.id,
            name,
            state,
            plan: '{}',
            maxPerHourUsd: 1,
            createdAt: new Date(now.getTime() + at),
          },
        });
      const later = await deploy('later', 'live', 2_000);
      const gone = await deploy('gone', 'torn-down', 0);
      const first = await deploy('first', 'live', 1_000);
      const replica = (deploymentId: string, id: string, state: string, endpoint: string | null) =>
        db.replica.create({
          data: {
            id,
            deploymentId,
            network: 'akash',
            adapterId: id,
            state,
            endpoint,
            pricePerHourUsd: 1,
            gpu: 'none',
          },
        });
      await replica(first.id, 'a', 'running', 'http://127.0.0.1:1');
      await replica(first.id, 'b', 'running', null);
      await replica(first.id, 'c', 'stopped', 'http://127.0.0.1:2');
      await replica(gone.id, 'd', 'running', 'http://127.0.0.1:3');
      expect(await store.liveDeployments()).toEqual([
        {
          id: first.id,
          name: 'mnist',
          modelId: '0xAB',
          artifactUrl: null,
          replicas: [{ id: 'a', network: 'akash', endpoint: 'http://127.0.0.1:1' }],
        },
        { id: later.id, name: 'mnist', modelId: '0xAB', artifactUrl: null, replicas: [] },
      ]);
    } finally {
      await store.close();
      await db.$disconnect();
    }
  });
});

it('polls key versions while a usage batch waits for the database (its own connection)', async () => {
  const file = join(dir, 'locked.db');
  const db: StoaDb = await openDatabase(`file:${file}`);
  const store = new GatewayStore(db);
  const locker = new Database(file);
  try {
    const project = await db.project.create({ data: { name: 'p', dir } });
    await createApiKey(db, dir, project.id, 'a');
    // Another writer holds the write lock: the usage batch waits for it on the write connection.
    locker.exec('BEGIN IMMEDIATE');
    let written = false;
    const writing = store
      .writeUsageBatch(
        'locked:0',
        [],
        [
          {
            id: randomUUID(),
            keyId: null,
            deploymentId: 'd',
            modelId: '0xabc',
            network: 'akash',
            node: '0x1',
            replicaUrl: 'http://127.0.0.1:1',
            receipt: '{}',
          },
        ],
      )
      .then((wrote) => {
        written = wrote;
      });
    await new Promise((r) => setTimeout(r, 100));
    // Queued behind that write, the poll would wait as long as the lock is held (up to 5 s).
    const asked = performance.now();
    expect((await store.keyVersions()).get(project.id)).toBeGreaterThan(0);
    expect(performance.now() - asked).toBeLessThan(2_000);
    expect(written).toBe(false);
    locker.exec('COMMIT');
    await writing;
    expect(written).toBe(true);
  } finally {
    locker.close();
    await store.close();
    await db.$disconnect();
  }
});
