import { randomUUID } from 'node:crypto';
import { providerOfDb, type StoaDb } from '../db/client.js';

/** One metered cell of a batch: what one key did on one model, network and node. */
export interface UsageCell {
  readonly keyId: string | null;
  readonly modelId: string;
  readonly network: string;
  readonly node: string;
  readonly requests: number;
  readonly errors: number;
  readonly computeOps: bigint;
  readonly latencyMs: number;
  readonly costWei: bigint;
  readonly periodStart: Date;
}

/** A receipt the gateway returned, written with the usage of the same batch. */
export interface ReceiptRow {
  readonly id: string;
  readonly keyId: string | null;
  readonly deploymentId: string;
  readonly modelId: string;
  readonly network: string;
  readonly node: string;
  readonly replicaUrl: string;
  readonly receipt: string;
}

/** Rows per INSERT: far below both databases' bound-parameter limits (13 columns a row). */
const ROWS_PER_INSERT = 500;

/**
 * Writes one batch of usage (and its receipts) in one transaction, idempotently: the cells get
 * the ids `<batchId>#<i>` under UsageRecord's unique batchId and receipts keep their request
 * ids, both inserted with ON CONFLICT DO NOTHING, so a batch replayed after a crash (same id,
 * same cells) is written once. Returns whether this call wrote it. Plain multi-row INSERTs
 * rather than Prisma's createMany: the gateway writes one batch every flush, and createMany's
 * interactive transaction cost ~26 ms of CPU a batch (BENCHMARKS.md, "Gateway").
 */
export async function writeUsageBatch(
  db: StoaDb,
  batchId: string,
  cells: readonly UsageCell[],
  receipts: readonly ReceiptRow[] = [],
): Promise<boolean> {
  if (cells.length === 0 && receipts.length === 0) return false;
  // Prisma's SQL template tags: its runtime loads with the first database use, not with the SDK.
  const { join, sql } = await import('../db/generated/sqlite/internal/prismaNamespace.js');
  // An empty cell keeps the marker even for a batch of receipts only.
  const rows = cells.length > 0 ? cells : [emptyUsageCell(receipts[0]!)];
  const postgres = providerOfDb(db) === 'postgresql';
  const now = new Date();
  const at = (d: Date) => (postgres ? d : d.toISOString().replace('Z', '+00:00'));
  const wei = (w: bigint) => (postgres ? sql`CAST(${w.toString()} AS DECIMAL(78, 0))` : sql`${w.toString()}`);
  const statements = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const values = rows.slice(i, i + ROWS_PER_INSERT).map(
      (c, j) => sql`(${randomUUID()}, ${`${batchId}#${i + j}`}, ${c.keyId}, ${c.modelId}, ${c.network},
        ${c.node}, ${c.requests}, ${c.errors}, ${c.computeOps}, ${c.latencyMs}, ${wei(c.costWei)},
        ${at(c.periodStart)}, ${at(now)})`,
    );
    statements.push(
      db.$executeRaw`INSERT INTO "UsageRecord" ("id", "batchId", "keyId", "modelId", "network", "node",
        "requests", "errors", "computeOps", "latencyMs", "costWei", "periodStart", "createdAt")
        VALUES ${join(values)} ON CONFLICT ("batchId") DO NOTHING`,
    );
  }
  for (let i = 0; i < receipts.length; i += ROWS_PER_INSERT) {
    const values = receipts.slice(i, i + ROWS_PER_INSERT).map(
      (r) => sql`(${r.id}, ${r.keyId}, ${r.deploymentId}, ${r.modelId}, ${r.network}, ${r.node},
        ${r.replicaUrl}, ${r.receipt}, ${at(now)})`,
    );
    statements.push(
      db.$executeRaw`INSERT INTO "GatewayReceipt" ("id", "keyId", "deploymentId", "modelId", "network",
        "node", "replicaUrl", "receipt", "createdAt")
        VALUES ${join(values)} ON CONFLICT ("id") DO NOTHING`,
    );
  }
  const [written] = await db.$transaction(statements);
  return (written ?? 0) > 0;
}

/** A cell of no usage for a receipt's key, model, network and node: a batch of receipts only keeps its marker. */
export function emptyUsageCell(receipt: ReceiptRow): UsageCell {
  return {
    keyId: receipt.keyId,
    modelId: receipt.modelId,
    network: receipt.network,
    node: receipt.node,
    requests: 0,
    errors: 0,
    computeOps: 0n,
    latencyMs: 0,
    costWei: 0n,
    periodStart: new Date(),
  };
}

export interface UsageQuery {
  readonly keyId?: string;
  readonly modelId?: string;
  readonly since?: Date;
  readonly until?: Date;
}

export interface UsageTotal {
  readonly keyId: string | null;
  readonly modelId: string;
  readonly network: string;
  readonly node: string;
  readonly requests: number;
  readonly errors: number;
  readonly computeOps: string;
  /** Mean latency over the requests, in milliseconds. */
  readonly meanLatencyMs: number;
  readonly costWei: string;
}

/** Usage summed per key, model, network and node over a period. */
export async function usageTotals(db: StoaDb, query: UsageQuery = {}): Promise<UsageTotal[]> {
  const rows = await db.usageRecord.findMany({
    where: {
      ...(query.keyId ? { keyId: query.keyId } : {}),
      ...(query.modelId ? { modelId: query.modelId } : {}),
      periodStart: {
        ...(query.since ? { gte: query.since } : {}),
        ...(query.until ? { lt: query.until } : {}),
      },
    },
  });
  type Sum = Pick<UsageTotal, 'keyId' | 'modelId' | 'network' | 'node'> & {
    requests: number;
    errors: number;
    ops: bigint;
    wei: bigint;
    latency: number;
  };
  const totals = new Map<string, Sum>();
  for (const r of rows) {
    const id = [r.keyId, r.modelId, r.network, r.node].join('\u0000');
    let t = totals.get(id);
    if (!t) {
      const { keyId, modelId, network, node } = r;
      t = { keyId, modelId, network, node, requests: 0, errors: 0, ops: 0n, wei: 0n, latency: 0 };
      totals.set(id, t);
    }
    t.requests += r.requests;
    t.errors += r.errors;
    t.ops += BigInt(r.computeOps);
    // costWei is a decimal string on SQLite and a Decimal(78, 0) on PostgreSQL: whole wei either way.
    t.wei += BigInt(String(r.costWei).split('.')[0]!);
    t.latency += r.latencyMs;
  }
  return [...totals.values()].map(({ ops, wei, latency, ...rest }) => ({
    ...rest,
    computeOps: ops.toString(),
    costWei: wei.toString(),
    meanLatencyMs: rest.requests > 0 ? latency / rest.requests : 0,
  }));
}
