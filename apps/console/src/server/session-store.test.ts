/**
 * The console's session store in the control plane's database, on real SQLite and real
 * PostgreSQL: what better-auth stores under a session token comes back, expires and is deleted,
 * and no row of any table holds the token or the session's plain text.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type StoaDb, startTestPostgres, type TestPostgres } from '@stoa/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prismaSessionStore } from './session-store.js';

const dir = mkdtempSync(join(tmpdir(), 'stoa-sessions-'));
let postgres: TestPostgres;
const opened: StoaDb[] = [];

beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);

afterAll(async () => {
  for (const db of opened) await db.$disconnect();
  postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const urls = {
  sqlite: () => `file:${join(dir, 'stoa.db')}`,
  postgresql: () => postgres.createDatabase('stoa_sessions'),
};

/** Every row of every table of the database, as text (byte columns as latin1). */
async function everyRow(db: StoaDb, provider: 'sqlite' | 'postgresql'): Promise<string[]> {
  const tables = (
    provider === 'sqlite'
      ? await db.$queryRawUnsafe<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'table'")
      : await db.$queryRawUnsafe<{ name: string }[]>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
        )
  ).map((t) => t.name);
  expect(tables).toContain('ConsoleSession');
  const rows: string[] = [];
  for (const name of tables)
    for (const row of await db.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT * FROM "${name}"`))
      rows.push(
        JSON.stringify(row, (_, v) =>
          v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : typeof v === 'bigint' ? String(v) : v,
        ),
      );
  return rows;
}

describe.each(['sqlite', 'postgresql'] as const)('console sessions on %s', (provider) => {
  it('keeps sessions under keyed hashes, sealed, with expiry; no row holds the token', async () => {
    const db = await openDatabase(urls[provider]());
    opened.push(db);
    const store = prismaSessionStore(db, 'a console secret of enough length for hkdf');
    const token = randomBytes(24).toString('base64url');
    const session = JSON.stringify({ session: { token, userId: 'u1' }, user: { email: 'admin@stoa.test' } });
    await store.set(token, session, 3600);
    await store.set('active-sessions-u1', JSON.stringify([{ token, expiresAt: 1 }]));
    expect(await store.get(token)).toBe(session);
    for (const row of await everyRow(db, provider)) {
      expect(row).not.toContain(token);
      expect(row).not.toContain('admin@stoa.test');
    }
    // Another secret neither finds nor opens it.
    expect(await prismaSessionStore(db, 'another secret entirely, also long').get(token)).toBeNull();
    // Rate-limit counters: the window starts at the first increment.
    expect(await store.increment('rate:1.2.3.4', 60)).toBe(1);
    expect(await store.increment('rate:1.2.3.4', 60)).toBe(2);
    // Expired entries read as absent; getAndDelete and delete remove.
    await store.set('short', 'gone soon', 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await store.get('short')).toBeNull();
    expect(await store.getAndDelete(token)).toBe(session);
    expect(await store.get(token)).toBeNull();
    await store.delete('active-sessions-u1');
    expect(await store.get('active-sessions-u1')).toBeNull();
    await store.set('later', 'a value'); // each set purges expired rows (`short`)
    expect(await db.consoleSession.count()).toBe(2); // the counter and `later`
  });
});
