/**
 * Typed adapter errors. Every failure an adapter reports is one of three kinds, so that callers
 * (the deploy planner, the CLI, the console) know what to do next:
 *
 * - `user`: the user must fix something (credentials, funds, the spec). Retrying will not help.
 * - `capacity`: the network cannot serve this spec right now (no bid, no free GPU, the provider
 *   died). Try another network or region.
 * - `transient`: a hiccup (timeout, 5xx, rate limit). Retry with backoff.
 */
export type ErrorKind = 'user' | 'capacity' | 'transient';

export type UserErrorCode = 'bad-credentials' | 'no-funds' | 'invalid-spec' | 'forbidden' | 'not-found';
export type CapacityErrorCode = 'no-bids' | 'no-capacity' | 'provider-failed';
export type TransientErrorCode = 'network' | 'timeout' | 'rate-limited' | 'server-error';
export type ErrorCode = UserErrorCode | CapacityErrorCode | TransientErrorCode;

export interface AdapterErrorOptions {
  adapter?: string;
  /** One line telling the user what to do about it. */
  hint?: string;
  cause?: unknown;
  /** Field paths at fault (for `invalid-spec`). */
  fields?: string[];
}

export abstract class AdapterError extends Error {
  abstract readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly adapter: string | undefined;
  readonly hint: string | undefined;
  readonly fields: string[];

  constructor(code: ErrorCode, message: string, opts: AdapterErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.adapter = opts.adapter;
    this.hint = opts.hint;
    this.fields = opts.fields ?? [];
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }

  /** A one-line, user-facing description (never a stack trace). */
  describe(): string {
    const who = this.adapter ? `[${this.adapter}] ` : '';
    return `${who}${this.kind}/${this.code}: ${this.message}${this.hint ? ` (${this.hint})` : ''}`;
  }
}

export class UserError extends AdapterError {
  readonly kind = 'user' as const;
  declare readonly code: UserErrorCode;
  constructor(code: UserErrorCode, message: string, opts?: AdapterErrorOptions) {
    super(code, message, opts);
    this.name = 'UserError';
  }
}

export class CapacityError extends AdapterError {
  readonly kind = 'capacity' as const;
  declare readonly code: CapacityErrorCode;
  constructor(code: CapacityErrorCode, message: string, opts?: AdapterErrorOptions) {
    super(code, message, opts);
    this.name = 'CapacityError';
  }
}

export class TransientError extends AdapterError {
  readonly kind = 'transient' as const;
  declare readonly code: TransientErrorCode;
  /** Server-suggested wait (Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(
    code: TransientErrorCode,
    message: string,
    opts?: AdapterErrorOptions & { retryAfterMs?: number },
  ) {
    super(code, message, opts);
    this.name = 'TransientError';
    this.retryAfterMs = opts?.retryAfterMs;
  }
}

export function isAdapterError(e: unknown): e is AdapterError {
  return e instanceof AdapterError;
}

/** Map an HTTP response status to a classified error. */
export function errorFromHttpStatus(
  status: number,
  detail: string,
  opts: AdapterErrorOptions & { retryAfter?: string | null } = {},
): AdapterError {
  const msg = `HTTP ${status}: ${readableDetail(detail)}`;
  if (status === 401) return new UserError('bad-credentials', msg, { hint: 'check the API key', ...opts });
  if (status === 402) return new UserError('no-funds', msg, { hint: 'top up the account', ...opts });
  if (status === 403) return new UserError('forbidden', msg, opts);
  if (status === 404) return new UserError('not-found', msg, opts);
  if (status === 400 || status === 422) return new UserError('invalid-spec', msg, opts);
  if (status === 409 || status === 507) return new CapacityError('no-capacity', msg, opts);
  if (status === 429) {
    const s = Number(opts.retryAfter);
    return new TransientError('rate-limited', msg, {
      ...opts,
      ...(Number.isFinite(s) ? { retryAfterMs: s * 1000 } : {}),
    });
  }
  if (status === 408 || status === 504) return new TransientError('timeout', msg, opts);
  return new TransientError('server-error', msg, opts);
}

/**
 * FastAPI answers validation errors (422) with `detail` as an array of `{loc, msg, type}`;
 * others with `detail` as a string. Either way the message names the field at fault.
 */
export function readableDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { detail?: unknown };
    if (Array.isArray(parsed.detail)) {
      return parsed.detail
        .map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? 'invalid'}`)
        .join('; ');
    }
    if (typeof parsed.detail === 'string') return parsed.detail;
  } catch {
    // not JSON: the body as it is
  }
  return body;
}

/** Classify a thrown value from `fetch` (connection refused, reset, abort...). */
export function classifyNetworkError(e: unknown, what: string, adapter?: string): AdapterError {
  if (isAdapterError(e)) return e;
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? '';
  if (err.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return new TransientError('timeout', `${what}: timed out`, { adapter, cause: e });
  }
  const reason = err.cause?.message ?? err.message ?? String(e);
  return new TransientError('network', `${what}: ${code || reason}`, { adapter, cause: e });
}
