import type { StoaDb } from '../db/client.js';

/** One point of a usage chart: a time bucket of one key, model and network. */
export interface UsagePoint {
  /** Bucket start, unix milliseconds. */
  readonly t: number;
  readonly keyId: string | null;
  readonly keyName: string | null;
  readonly modelId: string;
  readonly network: string;
  readonly requests: number;
  readonly errors: number;
  /** Whole wei, decimal. */
  readonly costWei: string;
}

export interface UsageSeriesQuery {
  /** Only usage of this project's keys. */
  readonly projectId: string;
  readonly since: Date;
  /** Bucket width in milliseconds (at least one second). */
  readonly bucketMs: number;
}

/**
 * The gateway's metered usage of a project over time, summed per bucket, key, model and network
 * (the nodes of a network added up): what the console's usage charts draw.
 */
export async function usageSeries(db: StoaDb, query: UsageSeriesQuery): Promise<UsagePoint[]> {
  if (!(query.bucketMs >= 1000)) throw new Error(`bucketMs: must be at least 1000, got ${query.bucketMs}`);
  const rows = await db.usageRecord.findMany({
    where: { periodStart: { gte: query.since }, key: { projectId: query.projectId } },
    include: { key: { select: { name: true } } },
    orderBy: { periodStart: 'asc' },
  });
  const points = new Map<string, UsagePoint & { wei: bigint }>();
  for (const r of rows) {
    const t = Math.floor(r.periodStart.getTime() / query.bucketMs) * query.bucketMs;
    const id = [t, r.keyId, r.modelId, r.network].join('\u0000');
    const known = points.get(id);
    // costWei is a decimal string on SQLite and a Decimal(78, 0) on PostgreSQL: whole wei either way.
    const wei = BigInt(String(r.costWei).split('.')[0]!);
    points.set(id, {
      t,
      keyId: r.keyId,
      keyName: r.key?.name ?? null,
      modelId: r.modelId,
      network: r.network,
      requests: (known?.requests ?? 0) + r.requests,
      errors: (known?.errors ?? 0) + r.errors,
      wei: (known?.wei ?? 0n) + wei,
      costWei: '',
    });
  }
  return [...points.values()].map(({ wei, ...p }) => ({ ...p, costWei: wei.toString() }));
}
