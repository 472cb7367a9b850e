import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

/** better-auth's secondary storage (sessions, rate-limit counters), as a key-value store. */
export interface SessionStore {
  get(key: string): string | null;
  getAndDelete(key: string): string | null;
  increment(key: string, ttl: number): number;
  set(key: string, value: string, ttl?: number): void;
  delete(key: string): void;
}

/**
 * better-auth keeps sessions here instead of its `session` table, which would hold each session
 * token in plain text. A key (the token itself, or `active-sessions-<userId>`) is stored only as
 * its HMAC-SHA256 under a key derived from the console's secret; a value (the session, which
 * names its token) only AES-256-GCM-encrypted under another. Someone who reads the database
 * file without the secret can neither use nor recognise a session.
 */
export function sqliteSessionStore(database: Database.Database, secret: string): SessionStore {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, 'stoa-console', info, 32));
  const [macKey, encKey] = [derive('session-store key'), derive('session-store value')];
  database.exec(
    'CREATE TABLE IF NOT EXISTS console_session_store (key_mac TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at INTEGER)',
  );
  const mac = (key: string) => createHmac('sha256', macKey).update(key).digest('hex');
  const seal = (value: string) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', encKey, iv);
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  };
  const open = (sealed: Buffer) => {
    const decipher = createDecipheriv('aes-256-gcm', encKey, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  };
  const expiry = (ttl?: number) => (ttl && ttl > 0 ? Date.now() + ttl * 1000 : null);
  const select = database.prepare(
    'SELECT value FROM console_session_store WHERE key_mac = ? AND (expires_at IS NULL OR expires_at > ?)',
  );
  const upsert = database.prepare(
    'INSERT INTO console_session_store (key_mac, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key_mac) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
  );
  const remove = database.prepare('DELETE FROM console_session_store WHERE key_mac = ?');
  const purge = database.prepare('DELETE FROM console_session_store WHERE expires_at <= ?');
  const get = (key: string) => {
    const row = select.get(mac(key), Date.now()) as { value: Buffer } | undefined;
    return row ? open(row.value) : null;
  };
  const set = (key: string, value: string, ttl?: number) => {
    purge.run(Date.now());
    upsert.run(mac(key), seal(value), expiry(ttl));
  };
  return {
    get,
    set,
    delete: (key) => void remove.run(mac(key)),
    getAndDelete: database.transaction((key: string) => {
      const value = get(key);
      remove.run(mac(key));
      return value;
    }),
    // The TTL applies on creation only: later increments keep the window where it started.
    increment: database.transaction((key: string, ttl: number) => {
      const row = select.get(mac(key), Date.now()) as { value: Buffer } | undefined;
      const next = row ? Number(open(row.value)) + 1 : 1;
      if (row)
        database
          .prepare('UPDATE console_session_store SET value = ? WHERE key_mac = ?')
          .run(seal(String(next)), mac(key));
      else upsert.run(mac(key), seal('1'), expiry(ttl));
      return next;
    }),
  };
}
