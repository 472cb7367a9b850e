import type { ApiKey, StoaDb } from '@stoa/sdk';
import type { KeyInfo } from './keys.js';

export interface CachedKey {
  readonly row: ApiKey | null;
  /** The presented key that last matched this row (its bytes), so a hit costs no HMAC. */
  verified?: Buffer;
  /** The row as the request path needs it, made once. */
  info?: KeyInfo;
}

/**
 * API key rows by prefix, kept until their project's KeyVersion moves (sdk `changeKeys` bumps
 * it in the same transaction as every key write). The counters are polled (`versions`, the
 * gateway's own connection on a worker thread: store/gateway-store.ts) every `pollMs`
 * (250 ms), so a revocation reaches every instance within about `pollMs` plus one query; a
 * request costs no query once its key is cached. When the poll has not succeeded for
 * `staleAfterMs` (the database is away or slow), rows are no longer trusted and every lookup
 * reads its row again, so a revocation can never be missed for longer than that.
 */
export class KeyCache {
  private readonly rows = new Map<string, CachedKey>();
  private readonly loading = new Map<string, Promise<CachedKey>>();
  private versions = new Map<string, number>();
  /** Moves on every invalidation: a load that started before it does not enter the cache. */
  private epoch = 0;
  private polledAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly db: StoaDb,
    private readonly versionsOf: () => Promise<Map<string, number>>,
    private readonly pollMs = 250,
    private readonly staleAfterMs = 3 * pollMs,
    private readonly maxRows = 200_000,
  ) {}

  async start(): Promise<void> {
    await this.pollOnce();
    const loop = () => {
      this.timer = setTimeout(() => void this.pollOnce().finally(loop), this.pollMs);
      this.timer.unref();
    };
    loop();
  }

  /** The poll in flight, or a new one: however many ask, one query at a time. */
  private pollOnce(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The row for `prefix` (null when no key has it), from the cache while it can be trusted.
   * When the last poll is too old, requests wait for a poll (the one in flight, or one started
   * now: one query for all of them) rather than each reading its row; only when that fails too
   * is the row read.
   */
  get(prefix: string): CachedKey | Promise<CachedKey> {
    const hit = this.rows.get(prefix);
    if (hit && this.fresh()) return hit;
    if (!hit) return this.load(prefix);
    // A poll that ran after this request arrived is as fresh as the request needs, however long
    // it took (a slow database must not turn every lookup into a row read).
    const asked = performance.now();
    return this.pollOnce().then(() => (this.fresh(asked) && this.rows.get(prefix)) || this.load(prefix));
  }

  private fresh(at = performance.now()): boolean {
    return at - this.polledAt < this.staleAfterMs;
  }

  private load(prefix: string): Promise<CachedKey> {
    const hit = this.rows.get(prefix);
    let pending = this.loading.get(prefix);
    if (!pending) {
      const epoch = this.epoch;
      pending = this.db.apiKey
        .findUnique({ where: { prefix } })
        .then((row) => {
          const fresh: CachedKey = {
            row,
            ...(hit?.row?.hash === row?.hash ? { verified: hit?.verified } : {}),
          };
          if (epoch === this.epoch) {
            if (this.rows.size >= this.maxRows) this.rows.clear();
            this.rows.set(prefix, fresh);
          }
          return fresh;
        })
        .finally(() => this.loading.delete(prefix));
      this.loading.set(prefix, pending);
    }
    return pending;
  }

  private async poll(): Promise<void> {
    const started = performance.now();
    let versions: Map<string, number>;
    try {
      versions = await this.versionsOf();
    } catch {
      return; // rows go stale after staleAfterMs; lookups then read the database
    }
    const changed = new Set<string>();
    for (const [project, version] of versions)
      if (this.versions.get(project) !== version) changed.add(project);
    if (changed.size > 0) this.invalidate(changed);
    this.versions = versions;
    this.polledAt = started;
  }

  /** Drops the rows of the changed projects, and every "no such key" (a key may have been made). */
  private invalidate(projects: ReadonlySet<string>): void {
    this.epoch++;
    for (const [prefix, cached] of this.rows)
      if (!cached.row || projects.has(cached.row.projectId)) this.rows.delete(prefix);
  }
}
