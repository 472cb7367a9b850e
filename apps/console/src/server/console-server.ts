import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { fromNodeHeaders, toNodeHandler } from 'better-auth/node';
import { type AccessPolicy, accessPolicy, csrfProblem, hostAllowed, isPublicPath } from './access.js';
import { appRouter } from './api/root.js';
import { type ConsoleAdmin, type ConsoleAuth, createConsoleAuth, type Viewer } from './auth.js';
import { loadNextApp } from './next-app.js';
import { type ConsoleServices, openServices } from './services.js';

export interface ConsoleOptions {
  /** Directory with stoa.config.ts (or below it). */
  readonly projectDir: string;
  /** Default 127.0.0.1: loopback needs no login; any other address requires one. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** The public https URL when served behind a TLS proxy (its origin is the only one trusted). */
  readonly publicUrl?: string;
  /** The account created on first start when a login is required. */
  readonly admin?: ConsoleAdmin;
}

export interface RunningConsole {
  readonly url: string;
  readonly loginRequired: boolean;
  readonly services: ConsoleServices;
  close(): Promise<void>;
}

const CONSOLE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const LOCAL_VIEWER: Viewer = { id: 'local', email: 'local developer', via: 'loopback' };
const MAX_BODY_BYTES = 100 * 1024 * 1024;

function refuse(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: { message } }));
}

/**
 * One gate in front of everything the console serves: Host check (loopback), CSRF check on
 * state-changing requests, then the session (off loopback) for every page and API path except
 * the login page, its static assets and better-auth's own endpoints.
 */
function gate(policy: AccessPolicy, auth: ConsoleAuth | undefined) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<Viewer | 'refused'> => {
    if (!hostAllowed(policy, req.headers.host)) {
      refuse(res, 421, `host '${req.headers.host}' is not this console`);
      return 'refused';
    }
    const csrf = csrfProblem(policy, req.method ?? 'GET', req.headers.origin, req.headers['content-type']);
    if (csrf) {
      refuse(res, 403, `refused: ${csrf}`);
      return 'refused';
    }
    if (!policy.loginRequired) return LOCAL_VIEWER;
    const viewer = await auth!.viewerOf(fromNodeHeaders(req.headers));
    if (viewer || isPublicPath(path)) return viewer ?? 'refused';
    if (path.startsWith('/api/')) refuse(res, 401, 'sign in to use the console');
    else {
      res.writeHead(303, {
        location: `/login?next=${encodeURIComponent(path)}`,
        'cache-control': 'no-store',
      });
      res.end();
    }
    return 'refused';
  };
}

/** Starts the console: the built Next.js app, tRPC at /api/trpc and better-auth at /api/auth. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const host = options.host ?? '127.0.0.1';
  const services = await openServices(options.projectDir);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const policy = accessPolicy(host, port, options.publicUrl);
  const auth = policy.loginRequired
    ? await createConsoleAuth({
        stoaDir: services.stoaDir,
        db: services.db,
        origin: policy.origins[0]!,
        secureCookies: true,
        ...(options.admin ? { admin: options.admin } : {}),
      })
    : undefined;
  const app = await loadNextApp({ dir: CONSOLE_DIR, hostname: host, port });
  await app.prepare();
  const pages = app.getRequestHandler();
  const authHandler = auth ? toNodeHandler(auth.auth) : undefined;
  const viewers = new WeakMap<IncomingMessage, Viewer>();
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/api/trpc/',
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req }) => ({ viewer: viewers.get(req) ?? null, services }),
  });
  const check = gate(policy, auth);
  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const path = new URL(req.url ?? '/', 'http://console').pathname;
      const viewer = await check(req, res, path);
      if (res.headersSent || res.writableEnded) return;
      if (viewer !== 'refused') viewers.set(req, viewer);
      if (path.startsWith('/api/auth/')) {
        if (authHandler) return await authHandler(req, res);
        return refuse(res, 404, 'no login on a loopback console');
      }
      if (path.startsWith('/api/trpc/')) return trpc(req, res);
      await pages(req, res);
    } catch (error) {
      if (!res.headersSent) refuse(res, 500, (error as Error).message);
    }
  });
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostPart}:${port}`,
    loginRequired: policy.loginRequired,
    services,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await app.close();
      auth?.close();
      await services.db.$disconnect();
    },
  };
}
