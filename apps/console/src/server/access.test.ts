import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestProject } from '../testing/project.js';
import { appRouter } from './api/root.js';
import { createCallerFactory } from './api/trpc.js';
import { ensureConsoleBuilt } from './build.js';
import { type RunningConsole, startConsole } from './console-server.js';

const ADMIN = { email: 'admin@stoa.test', password: 'correct horse battery staple' };
const CONSOLE_DIR = fileURLToPath(new URL('../..', import.meta.url));

function nonLoopbackAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  if (!address) throw new Error('this machine has no non-loopback IPv4 address to bind the console to');
  return address;
}

/** Every page the build has, with a sample value for each dynamic segment. */
function builtPages(): string[] {
  const manifest = JSON.parse(
    readFileSync(join(CONSOLE_DIR, '.next', 'server', 'app-paths-manifest.json'), 'utf8'),
  ) as Record<string, string>;
  return Object.keys(manifest)
    .filter((route) => route.endsWith('/page') && !route.startsWith('/_'))
    .map((route) => route.slice(0, -'/page'.length).replace(/\[[^\]]+\]/g, 'sample') || '/');
}

const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
).map(([path, p]) => ({ path, type: p._def.type }));

const project = makeTestProject();
let remote: RunningConsole;
let local: RunningConsole;
let origin: string;

beforeAll(async () => {
  await ensureConsoleBuilt();
  remote = await startConsole({ projectDir: project.dir, host: nonLoopbackAddress(), admin: ADMIN });
  origin = remote.url;
}, 300_000);

afterAll(async () => {
  await remote?.close();
  await local?.close();
  project.remove();
});

const trpcCall = (base: string, path: string, type: string, headers: Record<string, string> = {}) =>
  type === 'query'
    ? fetch(`${base}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, {
        headers,
      })
    : fetch(`${base}/api/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: base, ...headers },
        body: JSON.stringify({ json: {} }),
      });

async function signIn(from = origin): Promise<Response> {
  return fetch(`${origin}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: from },
    body: JSON.stringify(ADMIN),
  });
}

const sessionCookie = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');

describe('console bound to a non-loopback address', () => {
  it('refuses every page without a session (redirect to /login, no page content)', async () => {
    const pages = builtPages();
    expect(pages).toContain('/');
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const page of pages.filter((p) => p !== '/login')) {
      const response = await fetch(`${origin}${page}`, { redirect: 'manual' });
      expect(response.status, page).toBe(303);
      expect(response.headers.get('location'), page).toBe(`/login?next=${encodeURIComponent(page)}`);
      expect(await response.text(), page).toBe('');
    }
    expect((await fetch(`${origin}/login`)).status).toBe(200);
  });

  it('refuses every tRPC procedure without a session, over HTTP and in the router itself', async () => {
    expect(procedures.length).toBeGreaterThan(5);
    for (const { path, type } of procedures) {
      const response = await trpcCall(origin, path, type);
      expect(response.status, path).toBe(401);
    }
    // Past the HTTP gate, each procedure's own authorization check still refuses.
    const caller = createCallerFactory(appRouter)({ viewer: null, services: remote.services });
    for (const { path } of procedures) {
      const fn = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller);
      await expect((fn as (i: unknown) => Promise<unknown>)({}), path).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });
    }
  });

  it('signs in with a secure, http-only, same-site session cookie and then serves pages and calls', async () => {
    const wrong = await fetch(`${origin}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ ...ADMIN, password: 'not the password at all' }),
    });
    expect(wrong.status).toBe(401);
    const response = await signIn();
    expect(response.status).toBe(200);
    const cookie = response.headers.getSetCookie().find((c) => c.includes('session_token'))!;
    expect(cookie).toMatch(/^__Secure-/);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    const headers = { cookie: sessionCookie(response) };
    expect((await fetch(`${origin}/`, { headers, redirect: 'manual' })).status).toBe(200);
    const who = await trpcCall(origin, 'session.whoami', 'query', headers);
    expect(who.status).toBe(200);
    expect(JSON.stringify(await who.json())).toContain(ADMIN.email);
  });

  it('stores no session token in plain text in any database row or file; sign-out ends the session', async () => {
    const response = await signIn();
    const headers = { cookie: sessionCookie(response) };
    // The cookie is `<token>.<signature>`; the token is what a stolen row would give away.
    const cookie = response.headers.getSetCookie().find((c) => c.includes('session_token'))!;
    const token = decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!).split('.')[0]!;
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect((await trpcCall(origin, 'session.whoami', 'query', headers)).status).toBe(200);
    const stoaDir = join(project.dir, '.stoa');
    // Every row of the console's user file and of the control plane's database (where sessions live).
    for (const file of ['console-auth.db', 'stoa.db']) {
      const database = new Database(join(stoaDir, file), { readonly: true });
      try {
        const tables = (
          database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
        ).map((t) => t.name);
        for (const name of tables)
          for (const row of database.prepare(`SELECT * FROM "${name}"`).all())
            expect(JSON.stringify(row), `a row of ${file} ${name}`).not.toContain(token);
        expect(tables).not.toContain('session'); // better-auth's plain-token table is never made
        expect(tables).not.toContain('console_session_store'); // nor the old console-only store
      } finally {
        database.close();
      }
    }
    // The session is in the control plane's database, sealed under its keyed hash.
    expect(await remote.services.db.consoleSession.count()).toBeGreaterThan(0);
    // Every byte of every database file (the control plane's too, with their write-ahead logs).
    const files = readdirSync(stoaDir).filter((f) => /\.db(-wal|-journal)?$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['console-auth.db', 'stoa.db']));
    for (const file of files) expect(readFileSync(join(stoaDir, file)).includes(token), file).toBe(false);
    const out = await fetch(`${origin}/api/auth/sign-out`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, ...headers },
      body: '{}',
    });
    expect(out.status).toBe(200);
    expect((await trpcCall(origin, 'session.whoami', 'query', headers)).status).toBe(401);
  });

  it('refuses cross-site request forgery on mutations and on sign-in', async () => {
    const headers = { cookie: sessionCookie(await signIn()) };
    const create = (extra: Record<string, string>, body = JSON.stringify({ json: { name: 'forged' } })) =>
      fetch(`${origin}/api/trpc/apiKey.create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, ...headers, ...extra },
        body,
      });
    const before = await remote.services.db.apiKey.count();
    expect((await create({ origin: 'https://evil.example' })).status).toBe(403);
    const noOrigin = await fetch(`${origin}/api/trpc/apiKey.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ json: { name: 'forged' } }),
    });
    expect(noOrigin.status).toBe(403);
    // A cross-site HTML form can only send form encodings.
    const form = await create({ 'content-type': 'application/x-www-form-urlencoded' }, 'name=forged');
    expect(form.status).toBe(403);
    expect(await remote.services.db.apiKey.count()).toBe(before);
    // The same request from the console's own origin goes through.
    expect((await create({})).status).toBe(200);
    expect(await remote.services.db.apiKey.count()).toBe(before + 1);
    // Login CSRF: better-auth refuses a sign-in posted from another origin.
    const forgedLogin = await signIn('https://evil.example');
    expect(forgedLogin.status).toBe(403);
    expect(forgedLogin.headers.getSetCookie()).toEqual([]);
  });
});

describe('console bound to loopback', () => {
  beforeAll(async () => {
    local = await startConsole({ projectDir: project.dir, host: '127.0.0.1' });
  }, 120_000);

  it('needs no login, but refuses foreign Host headers (DNS rebinding) and cross-site mutations', async () => {
    expect(local.loginRequired).toBe(false);
    const who = await trpcCall(local.url, 'session.whoami', 'query');
    expect(who.status).toBe(200);
    expect(JSON.stringify(await who.json())).toContain('loopback');
    expect((await fetch(`${local.url}/`)).status).toBe(200);
    // fetch() will not send a foreign Host header; node:http will.
    const rebound = await new Promise<number>((resolve, reject) =>
      request(`${local.url}/api/trpc/session.whoami`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end(),
    );
    expect(rebound).toBe(421);
    const forged = await trpcCall(local.url, 'apiKey.revoke', 'mutation', { origin: 'http://evil.example' });
    expect(forged.status).toBe(403);
  });
});
