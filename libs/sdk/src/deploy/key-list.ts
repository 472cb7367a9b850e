import type { StoaDb } from '../db/client.js';

export type KeyState = 'active' | 'expired' | 'revoked';

/** An API key as listed to its owner: never the key, only its display prefix and limits. */
export interface ListedKey {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly allowedModels: string[];
  readonly rateLimitPerSec: number | null;
  readonly burst: number | null;
  readonly monthlyQuota: number | null;
  readonly spendCapUsd: number | null;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly state: KeyState;
}

export function keyState(
  key: { revokedAt: Date | null; expiresAt: Date | null },
  now = new Date(),
): KeyState {
  if (key.revokedAt) return 'revoked';
  return key.expiresAt && key.expiresAt < now ? 'expired' : 'active';
}

/** The project's API keys (all projects when none is given), oldest first. */
export async function listApiKeys(db: StoaDb, projectId?: string): Promise<ListedKey[]> {
  const rows = await db.apiKey.findMany({
    ...(projectId ? { where: { projectId } } : {}),
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((k) => ({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    allowedModels: JSON.parse(k.allowedModels) as string[],
    rateLimitPerSec: k.rateLimitPerSec,
    burst: k.burst,
    monthlyQuota: k.monthlyQuota,
    spendCapUsd: k.spendCapUsd,
    createdAt: k.createdAt,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
    state: keyState(k),
  }));
}
