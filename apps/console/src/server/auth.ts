import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoaDb } from '@stoa/sdk';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import Database from 'better-sqlite3';
import { prismaSessionStore, type SessionStore } from './session-store.js';

export interface ConsoleAdmin {
  readonly email: string;
  readonly password: string;
}

export interface Viewer {
  readonly id: string;
  readonly email: string;
  /** `loopback`: the console is bound to loopback and needs no login. */
  readonly via: 'loopback' | 'session';
}

function authSecret(stoaDir: string, env: NodeJS.ProcessEnv): string {
  if (env.STOA_CONSOLE_SECRET) return env.STOA_CONSOLE_SECRET;
  const file = join(stoaDir, 'console-secret');
  if (!existsSync(file)) {
    mkdirSync(stoaDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * The console's login (better-auth, email + password, sign-up closed): users live in their own
 * SQLite file, `.stoa/console-auth.db`; sessions in the control plane's database (Prisma's
 * `ConsoleSession` table) through `sessions` (keyed hashes and sealed values, never a plain token). The admin
 * given by STOA_CONSOLE_EMAIL / STOA_CONSOLE_PASSWORD is created on first start.
 */
function makeAuth(
  database: Database.Database,
  sessions: SessionStore,
  origin: string,
  secret: string,
  secureCookies: boolean,
) {
  return betterAuth({
    appName: 'Stoa console',
    database,
    secondaryStorage: sessions,
    session: { storeSessionInDatabase: false },
    baseURL: origin,
    basePath: '/api/auth',
    secret,
    trustedOrigins: [origin],
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 12 },
    advanced: {
      useSecureCookies: secureCookies,
      defaultCookieAttributes: { httpOnly: true, sameSite: 'strict' as const },
    },
    telemetry: { enabled: false },
  });
}

export async function createConsoleAuth(options: {
  stoaDir: string;
  /** The control plane's database, where sessions live. */
  db: StoaDb;
  origin: string;
  secureCookies: boolean;
  admin?: ConsoleAdmin;
  env?: NodeJS.ProcessEnv;
}) {
  mkdirSync(options.stoaDir, { recursive: true });
  const database = new Database(join(options.stoaDir, 'console-auth.db'));
  const secret = authSecret(options.stoaDir, options.env ?? process.env);
  const auth = makeAuth(
    database,
    prismaSessionStore(options.db, secret),
    options.origin,
    secret,
    options.secureCookies,
  );
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  if (options.admin) await ensureAdmin(auth, options.admin);
  return {
    auth,
    async viewerOf(headers: Headers): Promise<Viewer | null> {
      const session = await auth.api.getSession({ headers });
      return session ? { id: session.user.id, email: session.user.email, via: 'session' } : null;
    },
    close: () => database.close(),
  };
}

export type ConsoleAuth = Awaited<ReturnType<typeof createConsoleAuth>>;

async function ensureAdmin(auth: ReturnType<typeof makeAuth>, admin: ConsoleAdmin): Promise<void> {
  if (admin.password.length < 12) throw new Error('STOA_CONSOLE_PASSWORD: must be at least 12 characters');
  const ctx = await auth.$context;
  if (await ctx.internalAdapter.findUserByEmail(admin.email)) return;
  const user = await ctx.internalAdapter.createUser(
    { email: admin.email, name: admin.email, emailVerified: true },
    { method: 'admin' },
  );
  await ctx.internalAdapter.linkAccount({
    userId: user.id,
    providerId: 'credential',
    accountId: user.id,
    password: await ctx.password.hash(admin.password),
  });
}
