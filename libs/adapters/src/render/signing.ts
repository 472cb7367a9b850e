import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Request signing for the Render Network compute API: HMAC-SHA256 over
 * `timestamp \n METHOD \n path?query \n sha256(body)`, hex, sent with the key id and timestamp.
 */
export function renderSignature(
  secret: string,
  ts: string,
  method: string,
  pathAndQuery: string,
  body: string,
): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', secret)
    .update(`${ts}\n${method.toUpperCase()}\n${pathAndQuery}\n${bodyHash}`)
    .digest('hex');
}

export function renderAuthHeaders(
  keyId: string,
  secret: string,
  method: string,
  pathAndQuery: string,
  body: string,
  now = Date.now(),
) {
  const ts = String(Math.floor(now / 1000));
  return {
    'x-render-key-id': keyId,
    'x-render-timestamp': ts,
    'x-render-signature': renderSignature(secret, ts, method, pathAndQuery, body),
  };
}

export function verifyRenderSignature(
  secret: string,
  headers: Record<string, unknown>,
  method: string,
  pathAndQuery: string,
  body: string,
  maxSkewS = 300,
): boolean {
  const ts = String(headers['x-render-timestamp'] ?? '');
  const sig = String(headers['x-render-signature'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > maxSkewS) return false;
  const want = Buffer.from(renderSignature(secret, ts, method, pathAndQuery, body), 'hex');
  const got = Buffer.from(sig, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
