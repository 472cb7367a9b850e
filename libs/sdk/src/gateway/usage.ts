import type { StoaDb } from '../db/client.js';

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

/**
 * Writes one batch of usage (and its receipts) in a transaction, idempotently: the cells get the
 * ids `<batchId>#<i>` under UsageRecord's unique batchId, so a batch replayed after a crash
 * (same id, same cells) is recognised and written once. Returns whether this call wrote it.
 */
export async function writeUsageBatch(
  db: StoaDb,
  batchId: string,
  cells: readonly UsageCell[],
  receipts: readonly ReceiptRow[] = [],
): Promise<boolean> {
  if (cells.length === 0 && receipts.length === 0) return false;
  const marker = `${batchId}#0`;
  try {
    return await db.$transaction(async (tx) => {
      if (await tx.usageRecord.findUnique({ where: { batchId: marker }, select: { id: true } })) return false;
      // An empty cell keeps the marker even for a batch of receipts only.
      const rows = cells.length > 0 ? cells : [emptyCell(receipts[0]!)];
      await tx.usageRecord.createMany({
        data: rows.map((c, i) => ({
          batchId: `${batchId}#${i}`,
          keyId: c.keyId,
          modelId: c.modelId,
          network: c.network,
          node: c.node,
          requests: c.requests,
          errors: c.errors,
          computeOps: c.computeOps,
          latencyMs: c.latencyMs,
          costWei: c.costWei.toString(),
          periodStart: c.periodStart,
        })),
      });
      const known = new Set(
        (
          await tx.gatewayReceipt.findMany({
            where: { id: { in: receipts.map((r) => r.id) } },
            select: { id: true },
          })
        ).map((r) => r.id),
      );
      const fresh = receipts.filter((r) => !known.has(r.id));
      if (fresh.length > 0) await tx.gatewayReceipt.createMany({ data: fresh });
      return true;
    });
  } catch (error) {
    // Another writer committed the same batch between our check and our insert.
    if ((error as { code?: string }).code === 'P2002') return false;
    throw error;
  }
}

function emptyCell(receipt: ReceiptRow): UsageCell {
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
