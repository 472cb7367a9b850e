import type { StoaDb } from '../db/client.js';

type Tx = Parameters<Parameters<StoaDb['$transaction']>[0]>[0];

/**
 * Runs a change to a project's API keys and bumps the project's KeyVersion in the same
 * transaction. Every write to ApiKey rows that a gateway must see (create, limits, revoke,
 * expiry) goes through here: gateways cache key rows until this counter moves.
 */
export function changeKeys<T>(db: StoaDb, projectId: string, change: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    const result = await change(tx);
    await tx.keyVersion.upsert({
      where: { projectId },
      create: { projectId, version: 1 },
      update: { version: { increment: 1 } },
    });
    return result;
  });
}

/** Every project's key change counter, as `projectId → version` (one small query). */
export async function keyVersions(db: StoaDb): Promise<Map<string, number>> {
  const rows = await db.keyVersion.findMany({ select: { projectId: true, version: true } });
  return new Map(rows.map((r) => [r.projectId, r.version]));
}
