import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { StoaDb } from '@stoa/sdk';

/** better-auth's secondary storage (sessions, rate-limit counters), as a key-value store. */
export interface SessionStore {
  get(key: string): Promise<string | null>;
  getAndDelete(key: string): Promise<string | null>;
  increment(key: string, ttl: number): Promise<number>;
  set(key: string, value: string, ttl?: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The two keys derived from the console's secret: one to hash keys, one to seal values. */
function sessionCrypto(secret: string) {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, 'stoa-console', info, 32));
  const [macKey, encKey] = [derive('session-store key'), derive('session-store value')];
  return {
    mac: (key: string) => createHmac('sha256', macKey).update(key).digest('hex'),
    seal(value: string): Uint8Array<ArrayBuffer> {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
      return new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), body]));
    },
    open(sealed: Uint8Array): string {
      const bytes = Buffer.from(sealed);
      const decipher = createDecipheriv('aes-256-gcm', encKey, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

/**
 * better-auth keeps sessions here, in the control plane's database (the `ConsoleSession` table of
 * @stoa/sdk's Prisma schema, on SQLite or PostgreSQL), instead of its own `session` table, which
 * would hold each session token in plain text. A key (the token itself, or
 * `active-sessions-<userId>`) is stored only as its HMAC-SHA256 under a key derived from the
 * console's secret; a value (the session, which names its token) only AES-256-GCM-sealed under
 * another. Someone who reads the database without the secret can neither use nor recognise a
 * session.
 */
export function prismaSessionStore(db: StoaDb, secret: string): SessionStore {
  const { mac, seal, open } = sessionCrypto(secret);
  const expiry = (ttl?: number) => (ttl && ttl > 0 ? new Date(Date.now() + ttl * 1000) : null);
  const live = (keyMac: string) => ({
    keyMac,
    OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }],
  });
  const get = async (key: string) => {
    const row = await db.consoleSession.findFirst({ where: live(mac(key)) });
    return row ? open(row.value) : null;
  };
  return {
    get,
    async set(key, value, ttl) {
      await db.consoleSession.deleteMany({ where: { expiresAt: { lte: new Date() } } });
      const data = { value: seal(value), expiresAt: expiry(ttl) };
      await db.consoleSession.upsert({
        where: { keyMac: mac(key) },
        create: { keyMac: mac(key), ...data },
        update: data,
      });
    },
    async delete(key) {
      await db.consoleSession.deleteMany({ where: { keyMac: mac(key) } });
    },
    async getAndDelete(key) {
      const rows = await db.$transaction([
        db.consoleSession.findFirst({ where: live(mac(key)) }),
        db.consoleSession.deleteMany({ where: { keyMac: mac(key) } }),
      ]);
      return rows[0] ? open(rows[0].value) : null;
    },
    // The TTL applies on creation only: later increments keep the window where it started.
    async increment(key, ttl) {
      const keyMac = mac(key);
      const row = await db.consoleSession.findFirst({ where: live(keyMac) });
      const next = row ? Number(open(row.value)) + 1 : 1;
      if (row) await db.consoleSession.update({ where: { keyMac }, data: { value: seal(String(next)) } });
      else
        await db.consoleSession.upsert({
          where: { keyMac },
          create: { keyMac, value: seal('1'), expiresAt: expiry(ttl) },
          update: { value: seal('1'), expiresAt: expiry(ttl) },
        });
      return next;
    },
  };
}
