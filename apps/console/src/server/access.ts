import { isIP } from 'node:net';

/**
 * Who may reach the console. Bound to a loopback address it is a local developer tool with no
 * login (like `stoa dev`); bound to any other address every page and API call needs a session.
 * Either way state-changing requests must come from the console's own origin (CSRF), and on
 * loopback the Host header must name loopback too (so a DNS-rebinding page cannot reach it).
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

export interface AccessPolicy {
  readonly loginRequired: boolean;
  /** Origins (scheme://host:port) whose pages may send mutations. */
  readonly origins: readonly string[];
  /** Host headers accepted; undefined accepts any (behind a proxy the public name varies). */
  readonly hosts?: readonly string[];
}

export function accessPolicy(bindHost: string, port: number, publicUrl?: string): AccessPolicy {
  if (isLoopbackHost(bindHost)) {
    const hosts = ['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${port}`);
    return { loginRequired: false, hosts, origins: hosts.map((h) => `http://${h}`) };
  }
  const hostPart = isIP(bindHost) === 6 ? `[${bindHost}]` : bindHost;
  const origin = publicUrl ? new URL(publicUrl).origin : `http://${hostPart}:${port}`;
  return { loginRequired: true, origins: [origin] };
}

export function hostAllowed(policy: AccessPolicy, host: string | undefined): boolean {
  return !policy.hosts || (host !== undefined && policy.hosts.includes(host.toLowerCase()));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request must carry an Origin header naming the console itself (browsers
 * always send it on cross-site POSTs) and a JSON body (a cross-site form cannot send one
 * without a CORS preflight, which the console never answers).
 */
export function csrfProblem(
  policy: AccessPolicy,
  method: string,
  origin: string | undefined,
  contentType: string | undefined,
): string | undefined {
  if (SAFE_METHODS.has(method)) return undefined;
  if (!origin) return 'missing Origin header';
  if (!policy.origins.includes(origin)) return `cross-site request from ${origin}`;
  if (!contentType?.toLowerCase().startsWith('application/json')) return 'body must be application/json';
  return undefined;
}

/** Paths served without a session: the login page, its static assets, and the auth endpoints. */
export function isPublicPath(path: string): boolean {
  return (
    path === '/login' ||
    path.startsWith('/_next/static/') ||
    path === '/favicon.ico' ||
    path.startsWith('/api/auth/')
  );
}
