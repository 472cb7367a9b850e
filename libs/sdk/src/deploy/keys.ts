import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoaDb } from '../db/client.js';
import { changeKeys } from '../gateway/key-version.js';

/**
 * API keys: `sk_` + 32 random bytes (256 bits) in base64url, shown once. The database keeps
 * only an HMAC-SHA256 of the key under a secret that never enters it (STOA_KEY_SECRET, or
 * `.stoa/key-secret`, created with mode 0600), and a display prefix used for lookup.
 */
export const KEY_PREFIX_LENGTH = 12;

export function keySecret(stoaDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (env.STOA_KEY_SECRET) return Buffer.from(env.STOA_KEY_SECRET, 'utf8');
  const file = join(stoaDir, 'key-secret');
  if (!existsSync(file)) {
    mkdirSync(stoaDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
}

export function hashKey(secret: Buffer, key: string): string {
  return createHmac('sha256', secret).update(key).digest('hex');
}

export interface KeyLimits {
  readonly allowedModels?: string[];
  readonly rateLimitPerSec?: number;
  readonly burst?: number;
  readonly monthlyQuota?: number;
  readonly spendCapUsd?: number;
  readonly expiresAt?: Date;
}

export interface CreatedKey {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  /** The key itself: returned once, never stored. */
  readonly key: string;
}

export async function createApiKey(
  db: StoaDb,
  stoaDir: string,
  projectId: string,
  name: string,
  limits: KeyLimits = {},
): Promise<CreatedKey> {
  const key = `sk_${randomBytes(32).toString('base64url')}`;
  const prefix = key.slice(0, KEY_PREFIX_LENGTH);
  const row = await changeKeys(db, projectId, (tx) =>
    tx.apiKey.create({
      data: {
        projectId,
        name,
        prefix,
        hash: hashKey(keySecret(stoaDir), key),
        allowedModels: JSON.stringify(limits.allowedModels ?? []),
        rateLimitPerSec: limits.rateLimitPerSec ?? null,
        burst: limits.burst ?? null,
        monthlyQuota: limits.monthlyQuota ?? null,
        spendCapUsd: limits.spendCapUsd ?? null,
        expiresAt: limits.expiresAt ?? null,
      },
    }),
  );
  await db.auditLog.create({
    data: { actor: 'cli', action: 'key.create', subject: row.id, detail: JSON.stringify({ name, prefix }) },
  });
  return { id: row.id, name, prefix, key };
}

/** Checks a presented key against the stored hash, in constant time. */
export async function findKey(db: StoaDb, stoaDir: string, key: string) {
  const row = await db.apiKey.findUnique({ where: { prefix: key.slice(0, KEY_PREFIX_LENGTH) } });
  return row && keyMatches(row.hash, keySecret(stoaDir), key) ? row : undefined;
}

/** The shape every issued key has: `sk_` and 43 base64url characters (32 random bytes). */
export const KEY_PATTERN = /^sk_[A-Za-z0-9_-]{43}$/;

/** Whether `key` hashes (under `secret`) to the stored hex `hash`, compared in constant time. */
export function keyMatches(hash: string, secret: Buffer, key: string): boolean {
  const expected = Buffer.from(hash, 'hex');
  const actual = Buffer.from(hashKey(secret, key), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Revokes by id or prefix; returns the revoked row, or undefined when none matches. */
export async function revokeApiKey(db: StoaDb, idOrPrefix: string) {
  const row = await db.apiKey.findFirst({ where: { OR: [{ id: idOrPrefix }, { prefix: idOrPrefix }] } });
  if (!row) return undefined;
  const revoked = row.revokedAt
    ? row
    : await changeKeys(db, row.projectId, (tx) =>
        tx.apiKey.update({ where: { id: row.id }, data: { revokedAt: new Date() } }),
      );
  await db.auditLog.create({ data: { actor: 'cli', action: 'key.revoke', subject: row.id, detail: '{}' } });
  return revoked;
}
