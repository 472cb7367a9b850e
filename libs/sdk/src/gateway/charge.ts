import type { StoaDb } from '../db/client.js';

/** The calendar month a quota counts, in UTC ("2026-11"). */
export const quotaMonth = (at: Date = new Date()) => at.toISOString().slice(0, 7);

/**
 * Charges one request to a key's monthly quota and spend cap in a single conditional UPDATE, so
 * that every gateway instance sharing the database sees one counter and none lets a request
 * past the limit: the row is changed only while both still have room (a new month restarts
 * them). Returns false when the key is out of quota or over its spend cap.
 */
export async function chargeKey(
  db: StoaDb,
  keyId: string,
  costUsd: number,
  at: Date = new Date(),
): Promise<boolean> {
  const month = quotaMonth(at);
  const changed = await db.$executeRaw`
    UPDATE "ApiKey" SET
      "quotaUsed" = CASE WHEN "quotaMonth" = ${month} THEN "quotaUsed" + 1 ELSE 1 END,
      "spentUsd" = CASE WHEN "quotaMonth" = ${month} THEN "spentUsd" + ${costUsd} ELSE ${costUsd} END,
      "quotaMonth" = ${month}
    WHERE "id" = ${keyId}
      AND ("monthlyQuota" IS NULL OR "quotaMonth" IS NULL OR "quotaMonth" <> ${month} OR "quotaUsed" < "monthlyQuota")
      AND ("spendCapUsd" IS NULL OR
           (CASE WHEN "quotaMonth" = ${month} THEN "spentUsd" ELSE 0 END) + ${costUsd} <= "spendCapUsd")`;
  return changed === 1;
}
