import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client.js';
import { createApiKey } from '../deploy/keys.js';
import { type UsageCell, writeUsageBatch } from './usage.js';
import { usageSeries } from './usage-series.js';

const dir = mkdtempSync(join(tmpdir(), 'stoa-usage-series-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('usageSeries', () => {
  it('sums a project’s usage per bucket, key, model and network, and leaves other projects out', async () => {
    const db = await openDatabase(`file:${join(dir, 'stoa.db')}`);
    try {
      const [mine, theirs] = await Promise.all([
        db.project.create({ data: { name: 'mine', dir } }),
        db.project.create({ data: { name: 'theirs', dir } }),
      ]);
      const a = await createApiKey(db, dir, mine.id, 'a');
      const other = await createApiKey(db, dir, theirs.id, 'other');
      const t0 = new Date('2026-11-28T10:00:05Z');
      const cell = (
        keyId: string,
        network: string,
        seconds: number,
        requests: number,
        wei: bigint,
      ): UsageCell => ({
        keyId,
        modelId: '0xabc',
        network,
        node: `0x${network.length}`,
        requests,
        errors: 0,
        computeOps: 0n,
        latencyMs: 1,
        costWei: wei,
        periodStart: new Date(t0.getTime() + seconds * 1000),
      });
      await writeUsageBatch(db, 'b1', [
        cell(a.id, 'akash', 0, 2, 10n ** 20n),
        cell(a.id, 'akash', 30, 3, 1n),
      ]);
      await writeUsageBatch(db, 'b2', [
        cell(a.id, 'self-hosted', 70, 1, 5n),
        cell(other.id, 'akash', 0, 9, 9n),
      ]);
      const points = await usageSeries(db, {
        projectId: mine.id,
        since: new Date(t0.getTime() - 1000),
        bucketMs: 60_000,
      });
      expect(points).toEqual([
        expect.objectContaining({
          t: Date.parse('2026-11-28T10:00:00Z'),
          keyName: 'a',
          network: 'akash',
          requests: 5,
          costWei: '100000000000000000001',
        }),
        expect.objectContaining({
          t: Date.parse('2026-11-28T10:01:00Z'),
          network: 'self-hosted',
          requests: 1,
          costWei: '5',
        }),
      ]);
      await expect(usageSeries(db, { projectId: mine.id, since: t0, bucketMs: 10 })).rejects.toThrow(
        /bucketMs/,
      );
    } finally {
      await db.$disconnect();
    }
  });
});
