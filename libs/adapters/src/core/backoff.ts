import { isAdapterError, TransientError } from './errors.js';

export interface BackoffOptions {
  /** Attempts in total, the first included. Default 5. */
  attempts?: number;
  /** First delay in ms. Default 200. */
  baseMs?: number;
  /** Cap on one delay in ms. Default 5000. */
  maxMs?: number;
  /** Growth factor. Default 2. */
  factor?: number;
  /** 0..1: the share of each delay that is randomised ("full jitter" at 1). Default 0.5. */
  jitter?: number;
  /** Which errors to retry. Default: transient adapter errors. */
  retryable?: (e: unknown) => boolean;
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Injectable for tests. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The delay before retry number `attempt` (1-based): base * factor^(attempt-1), capped, jittered. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 5000;
  const factor = opts.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
  const raw = Math.min(max, base * factor ** (attempt - 1));
  const random = opts.random ?? Math.random;
  return Math.round(raw * (1 - jitter) + raw * jitter * random());
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const isTransient = (e: unknown): boolean => isAdapterError(e) && e.kind === 'transient';

/** Run `fn`, retrying retryable failures with exponential backoff; rethrows the last error. */
export async function withBackoff<T>(
  fn: (attempt: number) => Promise<T>,
  opts: BackoffOptions = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const retryable = opts.retryable ?? isTransient;
  const doSleep = opts.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= attempts || !retryable(e) || opts.signal?.aborted) throw e;
      let delayMs = backoffDelay(attempt, opts);
      if (e instanceof TransientError && e.retryAfterMs !== undefined)
        delayMs = Math.max(delayMs, e.retryAfterMs);
      opts.onRetry?.({ attempt, delayMs, error: e });
      await doSleep(delayMs, opts.signal);
    }
  }
}

/** Poll `fn` until it returns a value other than `undefined`, or time runs out. */
export async function pollUntil<T>(
  fn: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<T | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(opts.intervalMs ?? 100, Math.max(0, deadline - Date.now())), opts.signal);
  }
}
