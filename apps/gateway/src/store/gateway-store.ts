import { randomUUID } from 'node:crypto';
import {
  databaseUrlOfDb,
  emptyUsageCell,
  providerOfDb,
  type ReceiptRow,
  type StoaDb,
  type UsageCell,
} from '@stoa/sdk';
import { SqlWorker, type Statement } from './sql-worker.js';

/** A live deployment as the catalog routes to it, with its running replicas (`liveDeployments`). */
export interface LiveDeployment {
  readonly id: string;
  readonly name: string;
  readonly modelId: string;
  readonly artifactUrl: string | null;
  readonly replicas: readonly { readonly id: string; readonly network: string; readonly endpoint: string }[];
}

/** Rows per INSERT on PostgreSQL: far below its bound-parameter limit (13 columns a row). */
const ROWS_PER_INSERT = 500;
const USAGE_INSERT = `INSERT INTO "UsageRecord" ("id", "batchId", "keyId", "modelId", "network", "node", "requests",
  "errors", "computeOps", "latencyMs", "costWei", "periodStart", "createdAt")`;
const RECEIPT_INSERT = `INSERT INTO "GatewayReceipt" ("id", "keyId", "deploymentId", "modelId", "network", "node",
  "replicaUrl", "receipt", "createdAt")`;

/**
 * The gateway's periodic database work, as plain SQL on connections of its own (SqlWorker): the
 * key-version poll, the instance heartbeat and the usage batches. Same tables, same values and
 * the same idempotence as sdk `keyVersions` and `writeUsageBatch` (a batch's cells are keyed
 * `<batchId>#<i>` under UsageRecord's unique batchId, receipts by request id, both inserted with
 * ON CONFLICT DO NOTHING): a batch replayed after a crash is written once.
 */
export class GatewayStore {
  /** Writes (usage batches, heartbeats): a SQLite transaction, fsync included, holds its worker. */
  private readonly sql: SqlWorker;
  /** The key-version poll on a connection of its own, never queued behind a write. */
  private readonly reads: SqlWorker;

  constructor(db: StoaDb) {
    this.sql = new SqlWorker(providerOfDb(db), databaseUrlOfDb(db));
    this.reads = new SqlWorker(providerOfDb(db), databaseUrlOfDb(db));
  }

  private get postgres(): boolean {
    return this.sql.provider === 'postgresql';
  }

  /** Every project's key change counter, as `projectId → version` (one small query). */
  async keyVersions(): Promise<Map<string, number>> {
    // On `reads`, not `sql`: queued behind a usage batch (a PostgreSQL round trip of hundreds of
    // receipt rows, or a SQLite commit's fsync), a late poll let the key rows go stale, and every
    // request then waited for the poll (auth/key-cache.ts `get`).
    const [result] = await this.reads.run([
      { sql: 'SELECT "projectId", "version" FROM "KeyVersion"', params: [] },
    ]);
    return new Map(result!.rows.map((r) => [String(r.projectId), Number(r.version)]));
  }

  /**
   * The live deployments, oldest first, with their models' names and ids and their running
   * replicas that have an endpoint: the catalog's refresh, once a second. One query on the read
   * connection's worker: as a Prisma `findMany` with includes it took ~4.5 ms (PostgreSQL) to
   * ~8 ms (SQLite, whose Prisma adapter runs on the event loop) of the gateway's main thread a
   * call (docs/decisions.md, "The gateway's hand-off at 16 clients", part 4).
   */
  async liveDeployments(): Promise<LiveDeployment[]> {
    const [result] = await this.reads.run([
      {
        sql: `SELECT d."id", d."artifactUrl", m."name", m."modelId", r."id" AS "replicaId", r."network", r."endpoint"
          FROM "Deployment" d JOIN "Model" m ON m."id" = d."modelRef"
          LEFT JOIN "Replica" r ON r."deploymentId" = d."id" AND r."state" = 'running' AND r."endpoint" IS NOT NULL
          WHERE d."state" = 'live' ORDER BY d."createdAt", d."id", r."createdAt", r."id"`,
        params: [],
      },
    ]);
    const byId = new Map<string, LiveDeployment & { replicas: LiveDeployment['replicas'][number][] }>();
    for (const row of result!.rows) {
      const id = String(row.id);
      let deployment = byId.get(id);
      if (!deployment) {
        deployment = {
          id,
          name: String(row.name),
          modelId: String(row.modelId),
          artifactUrl: row.artifactUrl === null ? null : String(row.artifactUrl),
          replicas: [],
        };
        byId.set(id, deployment);
      }
      if (row.replicaId !== null)
        deployment.replicas.push({
          id: String(row.replicaId),
          network: String(row.network),
          endpoint: String(row.endpoint),
        });
    }
    return [...byId.values()];
  }

  /** Records this instance's heartbeat; returns how many instances beat since `now - staleMs`. */
  async heartbeat(instanceId: string, now: Date, staleMs: number): Promise<number> {
    const at = this.at(now);
    const [, counted] = await this.sql.run([
      {
        sql: `INSERT INTO "GatewayInstance" ("id", "startedAt", "heartbeatAt") VALUES (${this.marks(3, 0)})
          ON CONFLICT ("id") DO UPDATE SET "heartbeatAt" = excluded."heartbeatAt"`,
        params: [instanceId, at, at],
      },
      {
        sql: `SELECT COUNT(*) AS "live" FROM "GatewayInstance" WHERE "heartbeatAt" >= ${this.marks(1, 0)}`,
        params: [this.at(new Date(now.getTime() - staleMs))],
      },
    ]);
    return Number(counted!.rows[0]?.live ?? 0);
  }

  async removeInstance(instanceId: string): Promise<void> {
    await this.sql.run([
      { sql: `DELETE FROM "GatewayInstance" WHERE "id" = ${this.marks(1, 0)}`, params: [instanceId] },
    ]);
  }

  /** Writes one batch of usage and its receipts in one transaction; whether this call wrote it. */
  async writeUsageBatch(
    batchId: string,
    cells: readonly UsageCell[],
    receipts: readonly ReceiptRow[],
  ): Promise<boolean> {
    if (cells.length === 0 && receipts.length === 0) return false;
    // An empty cell keeps the marker even for a batch of receipts only.
    const rows = cells.length > 0 ? cells : [emptyUsageCell(receipts[0]!)];
    const now = this.at(new Date());
    const usage = rows.map((c, i) => [
      randomUUID(),
      `${batchId}#${i}`,
      c.keyId,
      c.modelId,
      c.network,
      c.node,
      c.requests,
      c.errors,
      this.postgres ? c.computeOps.toString() : c.computeOps,
      c.latencyMs,
      c.costWei.toString(),
      this.at(c.periodStart),
      now,
    ]);
    const returned = receipts.map((r) => [
      r.id,
      r.keyId,
      r.deploymentId,
      r.modelId,
      r.network,
      r.node,
      r.replicaUrl,
      r.receipt,
      now,
    ]);
    const statements = [
      ...this.inserts(USAGE_INSERT, usage, 10, 'ON CONFLICT ("batchId") DO NOTHING'),
      ...this.inserts(RECEIPT_INSERT, returned, undefined, 'ON CONFLICT ("id") DO NOTHING'),
    ];
    const [written] = await this.sql.run(statements);
    return (written?.changes ?? 0) > 0;
  }

  async close(): Promise<void> {
    await Promise.all([this.sql.close(), this.reads.close()]);
  }

  /** A timestamp as each database stores it (Prisma's formats: ISO text on SQLite, UTC TIMESTAMP(3)). */
  private at(date: Date): string {
    const iso = date.toISOString();
    return this.postgres ? iso.slice(0, -1) : iso.replace('Z', '+00:00');
  }

  /** `count` placeholders from parameter `offset` on (`?` or `$n`). */
  private marks(count: number, offset: number): string {
    return Array.from({ length: count }, (_, i) => (this.postgres ? `$${offset + i + 1}` : '?')).join(', ');
  }

  /**
   * INSERTs of `rows` into `into`: on PostgreSQL multi-row statements (one round trip for up to
   * ROWS_PER_INSERT rows, column `decimal` cast to DECIMAL), on SQLite one prepared single-row
   * statement run per row (no statement of thousands of parameters to parse each flush).
   */
  private inserts(
    into: string,
    rows: readonly (readonly unknown[])[],
    decimal: number | undefined,
    conflict: string,
  ): Statement[] {
    if (rows.length === 0) return [];
    const columns = rows[0]!.length;
    if (!this.postgres) return [{ sql: `${into} VALUES (${this.marks(columns, 0)}) ${conflict}`, rows }];
    const statements: Statement[] = [];
    for (let at = 0; at < rows.length; at += ROWS_PER_INSERT) {
      const chunk = rows.slice(at, at + ROWS_PER_INSERT);
      const values = chunk.map((_, row) => {
        const marks = this.marks(columns, row * columns).split(', ');
        if (decimal !== undefined) marks[decimal] = `CAST(${marks[decimal]} AS DECIMAL(78, 0))`;
        return `(${marks.join(', ')})`;
      });
      statements.push({ sql: `${into} VALUES ${values.join(', ')} ${conflict}`, params: chunk.flat() });
    }
    return statements;
  }
}
