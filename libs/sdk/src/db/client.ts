import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PrismaClient as SqliteClient } from './generated/sqlite/client.js';
import { migrateDatabase } from './migrate.js';
import { adapterFactory, providerOf } from './schema-engine.js';

/**
 * The control plane's database client. Both providers share one schema; the SQLite client's
 * types stand for both (wei columns are decimal strings there and Decimals on PostgreSQL:
 * write them as strings, read them with `weiOf`).
 */
export type StoaDb = SqliteClient;
export type { ApiKey, AuditLog, Deployment, Replica } from './generated/sqlite/client.js';

/** `DATABASE_URL` when set, else a SQLite file under the project's `.stoa/`. */
export function databaseUrl(projectDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  return `file:${join(resolve(projectDir), '.stoa', 'stoa.db')}`;
}

/**
 * Opens the database, applying committed migrations first (a no-op once they are applied).
 * The Prisma client and its driver load here, not when the SDK is imported (a config file
 * imports the SDK; `stoa init` and `stoa --help` open no database).
 */
export async function openDatabase(url: string, options: { migrate?: boolean } = {}): Promise<StoaDb> {
  if (providerOf(url) === 'sqlite') mkdirSync(dirname(url.slice('file:'.length)), { recursive: true });
  if (options.migrate !== false) await migrateDatabase(url);
  const adapter = await adapterFactory(url);
  const db =
    providerOf(url) === 'postgresql'
      ? (new (await import('./generated/postgresql/client.js')).PrismaClient({
          adapter,
        }) as unknown as StoaDb)
      : new (await import('./generated/sqlite/client.js')).PrismaClient({ adapter });
  providers.set(db, providerOf(url));
  urls.set(db, url);
  return db;
}

const providers = new WeakMap<StoaDb, 'sqlite' | 'postgresql'>();
const urls = new WeakMap<StoaDb, string>();

/**
 * The URL a client opened by `openDatabase` was opened with: for a second connection of one's
 * own to the same database (the gateway's usage writer runs on a worker thread).
 */
export function databaseUrlOfDb(db: StoaDb): string {
  const url = urls.get(db);
  if (!url) throw new Error('databaseUrlOfDb: this client was not opened by openDatabase');
  return url;
}

/** Which database a client opened by `openDatabase` talks to (for the few raw SQL writes). */
export function providerOfDb(db: StoaDb): 'sqlite' | 'postgresql' {
  const provider = providers.get(db);
  if (!provider) throw new Error('providerOfDb: this client was not opened by openDatabase');
  return provider;
}

/** A wei amount read from either provider (a string on SQLite, a Decimal on PostgreSQL). */
export function weiOf(value: unknown): bigint {
  // A Decimal prints large values in exponent notation; toFixed() gives every digit.
  if (typeof value === 'object' && value !== null && 'toFixed' in value) {
    return BigInt((value as { toFixed(): string }).toFixed());
  }
  return BigInt(String(value));
}
