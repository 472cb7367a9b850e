/**
 * Failed authentications per client address: past `limit` failures within `windowMs` the
 * address is refused (429) until the window ends, before any key lookup. Guessing keys is
 * hopeless at 256 bits; this keeps a flood of bad keys from reaching the database.
 */
export class FailureThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly limit = 20,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds the address must wait, or 0 when it may try. */
  blockedFor(address: string, now = Date.now()): number {
    const entry = this.failures.get(address);
    if (!entry || now - entry.since >= this.windowMs) return 0;
    return entry.count >= this.limit ? Math.ceil((entry.since + this.windowMs - now) / 1000) : 0;
  }

  fail(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (!entry || now - entry.since >= this.windowMs) {
      if (this.failures.size > 100_000) this.prune(now);
      this.failures.set(address, { count: 1, since: now });
    } else entry.count++;
  }

  private prune(now: number): void {
    for (const [address, entry] of this.failures)
      if (now - entry.since >= this.windowMs) this.failures.delete(address);
  }
}
