import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, weiOf } from './client.js';
import { migrateDatabase, migrationsApplied } from './migrate.js';
import { MIGRATIONS_DIR, migrationNames } from './migrations.js';
import { diffSchemas } from './schema-diff.js';
import { MIGRATION_STEPS, type Provider, renderSchema } from './schema-render.js';
import { startTestPostgres, type TestPostgres } from './testing/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'stoa-db-'));
let postgres: TestPostgres;
let databases = 0;

beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(() => {
  postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const fresh: Record<Provider, () => string> = {
  sqlite: () => `file:${join(dir, `db${++databases}.sqlite`)}`,
  postgresql: () => postgres.createDatabase(`stoa_test_${++databases}`),
};

describe.each(['sqlite', 'postgresql'] as const)('migrations on %s', (provider) => {
  it('the committed migrations are what the schema engine derives from the schema', async () => {
    expect(migrationNames(provider)).toEqual(MIGRATION_STEPS.map((s) => s.name));
    for (const [index, step] of MIGRATION_STEPS.entries()) {
      const from = index === 0 ? undefined : renderSchema(provider, index - 1);
      const sql = await diffSchemas(from, renderSchema(provider, index));
      expect(readFileSync(join(MIGRATIONS_DIR, provider, step.name, 'migration.sql'), 'utf8')).toBe(sql);
    }
  });

  it('takes an empty database to the latest schema, and a second run is a no-op', async () => {
    const url = fresh[provider]();
    expect(await migrateDatabase(url)).toEqual({ applied: migrationNames(provider), total: 6 });
    expect((await migrateDatabase(url)).applied).toEqual([]);
    const db = await openDatabase(url);
    try {
      const project = await db.project.create({ data: { name: 'p', dir: '/p' } });
      const key = await db.apiKey.create({
        data: {
          projectId: project.id,
          name: 'k',
          prefix: 'sk_abc',
          hash: 'h1',
          rateLimitPerSec: 5,
          burst: 10,
        },
      });
      const wei = 123456789012345678901234567890n;
      await db.usageRecord.create({
        data: {
          batchId: 'b1',
          keyId: key.id,
          modelId: '0x01',
          network: 'akash',
          node: '0xabc',
          requests: 3,
          costWei: wei.toString(),
          periodStart: new Date(),
        },
      });
      const usage = await db.usageRecord.findUniqueOrThrow({ where: { batchId: 'b1' } });
      expect(weiOf(usage.costWei)).toBe(wei);
    } finally {
      await db.$disconnect();
    }
  });

  it('upgrades a database at the previous migration and keeps its data', async () => {
    const url = fresh[provider]();
    expect((await migrateDatabase(url, { upTo: 1 })).applied).toEqual(['0001_init']);
    const old = await openDatabase(url, { migrate: false });
    try {
      // Only columns of 0001 exist now: write through raw SQL the way the old schema would.
      const project = await old.project.create({ data: { name: 'kept', dir: '/kept' } });
      await old.$executeRawUnsafe(
        `INSERT INTO "ApiKey" ("id","projectId","name","prefix","hash","allowedModels") VALUES ('k1', '${project.id}', 'old key', 'sk_old', 'hash-old', '["mnist"]')`,
      );
    } finally {
      await old.$disconnect();
    }
    expect((await migrateDatabase(url)).applied).toEqual([
      '0002_gateway_limits_and_usage',
      '0003_gateway_counters_receipts_checks',
      '0004_key_versions',
      '0005_console_sessions',
      '0006_client_challenges',
    ]);
    const db = await openDatabase(url);
    try {
      const key = await db.apiKey.findUniqueOrThrow({
        where: { prefix: 'sk_old' },
        include: { project: true },
      });
      expect(key).toMatchObject({
        name: 'old key',
        hash: 'hash-old',
        allowedModels: '["mnist"]',
        burst: null,
      });
      expect(key.project.name).toBe('kept');
      await db.apiKey.update({ where: { id: key.id }, data: { monthlyQuota: 1000 } });
      expect(await db.usageRecord.count()).toBe(0);
    } finally {
      await db.$disconnect();
    }
  });

  it('skips the schema engine only when every migration is applied and none failed', async () => {
    const names = migrationNames(provider);
    const url = fresh[provider]();
    expect(await migrationsApplied(url, names)).toBe(false);
    await migrateDatabase(url, { upTo: 2 });
    expect(await migrationsApplied(url, names.slice(0, 2))).toBe(true);
    expect(await migrationsApplied(url, names)).toBe(false);
    await migrateDatabase(url);
    expect(await migrationsApplied(url, names)).toBe(true);
    // A migration that started and never finished: the engine must see it (and refuse).
    const db = await openDatabase(url, { migrate: false });
    try {
      await db.$executeRawUnsafe(
        `INSERT INTO "_prisma_migrations" ("id","checksum","migration_name","started_at","applied_steps_count") VALUES ('failed1', 'x', '0007_unfinished', CURRENT_TIMESTAMP, 0)`,
      );
    } finally {
      await db.$disconnect();
    }
    expect(await migrationsApplied(url, names)).toBe(false);
    await expect(migrateDatabase(url)).rejects.toThrow(/migration failed/);
  });
});
