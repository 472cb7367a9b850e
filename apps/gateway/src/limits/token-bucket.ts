/** The x-ratelimit-* headers of one answer. */
export interface RateState {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the bucket is full again (or, when refused, until one request fits). */
  readonly resetS: number;
}

/**
 * A token bucket per key: `rate` requests per second with room for `burst`. With several
 * gateway instances each holds `1/instances` of the rate and burst (instances.ts counts them),
 * so that together they never let more through than the key's limit.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  take(keyId: string, rate: number, burst: number, share: number, now = performance.now()): RateState {
    const r = rate / share;
    const b = Math.max(1, burst / share);
    const bucket = this.buckets.get(keyId) ?? { tokens: b, at: now };
    bucket.tokens = Math.min(b, bucket.tokens + ((now - bucket.at) / 1000) * r);
    bucket.at = now;
    this.buckets.set(keyId, bucket);
    const limit = Math.floor(burst);
    if (bucket.tokens < 1) {
      return { allowed: false, limit, remaining: 0, resetS: Math.max(1, Math.ceil((1 - bucket.tokens) / r)) };
    }
    bucket.tokens -= 1;
    return {
      allowed: true,
      limit,
      remaining: Math.floor(bucket.tokens * share),
      resetS: Math.ceil((b - bucket.tokens) / r),
    };
  }
}
