import { timingSafeEqual } from 'node:crypto';
import { type ApiKey, KEY_PATTERN, KEY_PREFIX_LENGTH, keyMatches } from '@stoa/sdk';
import { Errors, type GatewayError } from '../errors.js';
import type { KeyCache } from './key-cache.js';

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

/**
 * Authenticates `Bearer sk_…` keys: the row is found by the key's prefix (KeyCache: no query
 * while the project's keys are unchanged), the presented key is HMAC'd under the server secret
 * and compared with the stored hash in constant time (skipped when the same key matched this
 * row before, itself compared in constant time).
 */
export class KeyAuthenticator {
  constructor(
    private readonly cache: KeyCache,
    private readonly secret: Buffer,
  ) {}

  /** The key's info, or the GatewayError to answer with. */
  async authenticate(authorization: string | undefined, now = Date.now()): Promise<KeyInfo | GatewayError> {
    if (!authorization) return Errors.missingKey();
    const match = /^Bearer (\S+)$/.exec(authorization);
    if (!match || !KEY_PATTERN.test(match[1]!)) return Errors.malformedKey();
    const key = match[1]!;
    const cached = await this.cache.get(key.slice(0, KEY_PREFIX_LENGTH));
    const row = cached.row;
    if (!row) return Errors.unknownKey();
    // Both are KEY_PATTERN-shaped (same length): compared in constant time like the hash.
    const presented = Buffer.from(key);
    if (!cached.verified || !timingSafeEqual(cached.verified, presented)) {
      if (!keyMatches(row.hash, this.secret, key)) return Errors.unknownKey();
      cached.verified = presented;
    }
    if (row.revokedAt) return Errors.revokedKey();
    if (row.expiresAt && row.expiresAt.getTime() <= now) return Errors.expiredKey();
    cached.info ??= infoOf(row);
    return cached.info;
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
