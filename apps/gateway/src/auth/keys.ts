import { timingSafeEqual } from 'node:crypto';
import { type ApiKey, KEY_PATTERN, KEY_PREFIX_LENGTH, keyMatches, type StoaDb } from '@stoa/sdk';
import { Errors, type GatewayError } from '../errors.js';

/** What the gateway knows of a key while it serves a request (never the key or its hash). */
export interface KeyInfo {
  readonly id: string;
  readonly prefix: string;
  readonly allowedModels: readonly string[];
  readonly rateLimitPerSec?: number;
  readonly burst?: number;
  readonly monthlyQuota?: number;
  readonly spendCapUsd?: number;
}

interface Cached {
  readonly row: ApiKey | null;
  readonly at: number;
  /** The presented key that last matched this row, so a hit costs no HMAC. */
  verified?: string;
}

/**
 * Authenticates `Bearer sk_…` keys. A key's row is looked up by its prefix and kept for
 * `refreshMs` (default 300 ms), so a revocation or expiry written by any instance is seen by
 * every instance within one second; the presented key is HMAC'd under the server secret and
 * compared with the stored hash in constant time.
 */
export class KeyAuthenticator {
  private readonly rows = new Map<string, Cached>();
  private readonly loading = new Map<string, Promise<Cached>>();

  constructor(
    private readonly db: StoaDb,
    private readonly secret: Buffer,
    private readonly refreshMs = 300,
  ) {}

  /** The key's info, or the GatewayError to answer with. */
  async authenticate(authorization: string | undefined, now = Date.now()): Promise<KeyInfo | GatewayError> {
    if (!authorization) return Errors.missingKey();
    const match = /^Bearer (\S+)$/.exec(authorization);
    if (!match || !KEY_PATTERN.test(match[1]!)) return Errors.malformedKey();
    const key = match[1]!;
    const cached = await this.row(key.slice(0, KEY_PREFIX_LENGTH), now);
    const row = cached.row;
    if (!row) return Errors.unknownKey();
    // Both are KEY_PATTERN-shaped (same length): compared in constant time like the hash.
    if (!cached.verified || !timingSafeEqual(Buffer.from(cached.verified), Buffer.from(key))) {
      if (!keyMatches(row.hash, this.secret, key)) return Errors.unknownKey();
      cached.verified = key;
    }
    if (row.revokedAt) return Errors.revokedKey();
    if (row.expiresAt && row.expiresAt.getTime() <= now) return Errors.expiredKey();
    return infoOf(row);
  }

  private async row(prefix: string, now: number): Promise<Cached> {
    const hit = this.rows.get(prefix);
    if (hit && now - hit.at < this.refreshMs) return hit;
    let pending = this.loading.get(prefix);
    if (!pending) {
      pending = this.db.apiKey
        .findUnique({ where: { prefix } })
        .then((row) => {
          const fresh: Cached = {
            row,
            at: Date.now(),
            ...(hit?.row?.hash === row?.hash ? { verified: hit?.verified } : {}),
          };
          if (this.rows.size > 200_000) this.rows.clear();
          this.rows.set(prefix, fresh);
          return fresh;
        })
        .finally(() => this.loading.delete(prefix));
      this.loading.set(prefix, pending);
    }
    // A stale row never answers: requests wait for the one lookup in flight (a revocation shows
    // within refreshMs plus one query, on every instance).
    return pending;
  }
}

function infoOf(row: ApiKey): KeyInfo {
  return {
    id: row.id,
    prefix: row.prefix,
    allowedModels: JSON.parse(row.allowedModels) as string[],
    ...(row.rateLimitPerSec != null ? { rateLimitPerSec: row.rateLimitPerSec } : {}),
    ...(row.burst != null ? { burst: row.burst } : {}),
    ...(row.monthlyQuota != null ? { monthlyQuota: row.monthlyQuota } : {}),
    ...(row.spendCapUsd != null ? { spendCapUsd: row.spendCapUsd } : {}),
  };
}
