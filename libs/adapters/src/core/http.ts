import { type BackoffOptions, withBackoff } from './backoff.js';
import { classifyNetworkError, errorFromHttpStatus } from './errors.js';

export interface HttpOptions {
  adapter: string;
  method?: string;
  /** Headers, or a function giving them per attempt (for signatures with a time and a nonce). */
  headers?: Record<string, string> | (() => Record<string, string>);
  body?: unknown;
  /** Retry transient failures (default true). Turn off for requests that are not idempotent. */
  retry?: boolean | BackoffOptions;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Treat these statuses as success and return undefined (e.g. 404 on delete). */
  okStatuses?: number[];
}

/** JSON over HTTP with classified errors and backoff on transient failures. */
export async function httpJson<T>(url: string, opts: HttpOptions): Promise<T> {
  const once = async (): Promise<T> => {
    const what = `${opts.method ?? 'GET'} ${new URL(url).pathname}`;
    let res: Response;
    const body =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body);
    try {
      res = await fetch(url, {
        method: opts.method ?? 'GET',
        headers: {
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(typeof opts.headers === 'function' ? opts.headers() : opts.headers),
        },
        body,
        signal: opts.signal ?? AbortSignal.timeout(opts.timeoutMs ?? 15_000),
      });
    } catch (e) {
      throw classifyNetworkError(e, what, opts.adapter);
    }
    const text = await res.text();
    if (opts.okStatuses?.includes(res.status)) return undefined as T;
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        const j = JSON.parse(text) as Record<string, unknown>;
        detail = String(j.detail ?? j.message ?? j.error ?? detail);
      } catch {}
      throw errorFromHttpStatus(res.status, `${what}: ${detail}`, {
        adapter: opts.adapter,
        retryAfter: res.headers.get('retry-after'),
      });
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };
  if (opts.retry === false) return once();
  return withBackoff(once, {
    attempts: 4,
    baseMs: 100,
    maxMs: 2000,
    ...(typeof opts.retry === 'object' ? opts.retry : {}),
  });
}
