import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Request signing of the Render compute API (docs.compute.x.io: "API Overview" and "Send an API
 * request / Request headers"): headers `X-API-Key` (public key), `X-Time` (UTC ms, within 5
 * minutes of the server), `X-Nonce` (32 hex characters, unique per request) and `X-Signature`,
 * the hex HMAC-SHA256 with the secret key over
 * `publicKey|time|nonce|METHOD|path|query|sha256hex(body bytes)`, where `query` is the URL's
 * query string as sent, without the leading `?`, and the body is hashed exactly as sent (an
 * empty body hashes the empty string).
 */
export function renderStringToSign(parts: {
  publicKey: string;
  time: string;
  nonce: string;
  method: string;
  path: string;
  /** The query string as sent, no leading '?'. */
  query: string;
  body: string;
}): string {
  const bodyHash = createHash('sha256').update(parts.body).digest('hex');
  return [
    parts.publicKey,
    parts.time,
    parts.nonce,
    parts.method.toUpperCase(),
    parts.path,
    parts.query,
    bodyHash,
  ].join('|');
}

export function renderSignature(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

/** Headers for one request; a fresh nonce each call (so each retry is signed anew). */
export function renderAuthHeaders(
  publicKey: string,
  secret: string,
  method: string,
  pathAndQuery: string,
  body: string,
  now = Date.now(),
  nonce = randomBytes(16).toString('hex'),
): Record<string, string> {
  const url = new URL(pathAndQuery, 'http://x');
  const time = String(now);
  const toSign = renderStringToSign({
    publicKey,
    time,
    nonce,
    method,
    path: url.pathname,
    query: url.search.slice(1),
    body,
  });
  return {
    'X-API-Key': publicKey,
    'X-Time': time,
    'X-Nonce': nonce,
    'X-Signature': renderSignature(secret, toSign),
  };
}

export type RenderVerdict = 'ok' | 'bad-signature' | 'stale' | 'replayed' | 'bad-nonce';

/** The server side: checks time skew, nonce form and reuse (`seen`), then the signature. */
export function verifyRenderRequest(opts: {
  secret: string;
  headers: Record<string, unknown>;
  method: string;
  pathAndQuery: string;
  body: string;
  seen: Map<string, number>;
  maxSkewMs?: number;
}): RenderVerdict {
  const h = (n: string) => String(opts.headers[n] ?? '');
  const [publicKey, time, nonce, sig] = [h('x-api-key'), h('x-time'), h('x-nonce'), h('x-signature')];
  const skew = opts.maxSkewMs ?? 300_000;
  if (!/^\d+$/.test(time) || Math.abs(Date.now() - Number(time)) > skew) return 'stale';
  if (!/^[0-9a-f]{32}$/.test(nonce)) return 'bad-nonce';
  const url = new URL(opts.pathAndQuery, 'http://x');
  const want = Buffer.from(
    renderSignature(
      opts.secret,
      renderStringToSign({
        publicKey,
        time,
        nonce,
        method: opts.method,
        path: url.pathname,
        query: url.search.slice(1),
        body: opts.body,
      }),
    ),
    'hex',
  );
  const got = Buffer.from(sig, 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad-signature';
  const key = `${publicKey}:${nonce}`;
  if (opts.seen.has(key)) return 'replayed';
  for (const [k, at] of opts.seen) if (Date.now() - at > 2 * skew) opts.seen.delete(k); // outside the window: cannot replay
  opts.seen.set(key, Date.now());
  return 'ok';
}
