import { Pool } from 'undici';
import { UpstreamPool } from './upstream.js';

/** Failures in a row that open a replica's circuit, and how long it stays open at first. */
const TRIP_AFTER = 3;
const OPEN_MS = 1_000;
const MAX_OPEN_MS = 30_000;
/**
 * How fast a replica's latency estimate fades while no answer refreshes it (time constant, ms).
 * Without it a replica that answered slowly once (a cold start, a pause) scores worse than its
 * peers for good and never gets the request that would show it has recovered; fading, it is
 * tried again after a few constants (as the decaying EWMA of Finagle's and Linkerd's balancers).
 */
const LATENCY_FADE_MS = 10_000;

/**
 * One replica as the router sees it: health (from its /health, polled), requests outstanding,
 * a moving average of its latency, and a circuit breaker. The breaker opens after TRIP_AFTER
 * failures in a row, for OPEN_MS doubling on each trip; once that passes one request probes it
 * (half-open) and a success closes it.
 */
export class ReplicaState {
  /** Health probes and text generation (streamed answers). */
  readonly pool: Pool;
  /** Inference requests, single and batched (coalesce.ts): the request path's lean client. */
  readonly upstream: UpstreamPool;
  node: string | undefined;
  healthy = false;
  outstanding = 0;
  /** Moving average of its answers' latency, as of `latencyAt` (read it through `latency`). */
  private latencyMs = 5;
  private latencyAt = performance.now();
  private failures = 0;
  private trips = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    readonly id: string,
    readonly network: string,
    readonly url: string,
    readonly deploymentId: string,
    /** Coalesced batches kept in flight to it (coalesce.ts): 1 sends each turn whole. */
    readonly batchesInFlight = 2,
  ) {
    this.pool = new Pool(url, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000 });
    this.upstream = new UpstreamPool(url, 64);
  }

  get breaker(): 'closed' | 'open' | 'half-open' {
    if (this.failures < TRIP_AFTER) return 'closed';
    return performance.now() < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a request may go to it now. */
  available(): boolean {
    if (!this.healthy || !this.node) return false;
    const state = this.breaker;
    return state === 'closed' || (state === 'half-open' && !this.probing);
  }

  /** Its latency estimate now: the moving average, faded by the time since it was refreshed. */
  latency(now = performance.now()): number {
    return this.latencyMs * Math.exp(-Math.max(0, now - this.latencyAt) / LATENCY_FADE_MS);
  }

  /** Lower is better: expected wait behind what it is already doing. */
  score(now = performance.now()): number {
    return (this.outstanding + 1) * this.latency(now);
  }

  begin(): void {
    this.outstanding++;
    if (this.breaker === 'half-open') this.probing = true;
  }

  succeeded(ms: number, now = performance.now()): void {
    this.outstanding--;
    this.latencyMs = 0.8 * this.latency(now) + 0.2 * ms;
    this.latencyAt = now;
    this.failures = 0;
    this.trips = 0;
    this.probing = false;
  }

  failed(): void {
    this.outstanding--;
    this.probing = false;
    this.failures++;
    if (this.failures >= TRIP_AFTER) {
      this.openUntil = performance.now() + Math.min(MAX_OPEN_MS, OPEN_MS * 2 ** this.trips);
      this.trips++;
    }
  }

  async close(): Promise<void> {
    this.upstream.close();
    await this.pool.close().catch(() => undefined);
  }
}

/**
 * Picks a replica: two at random among those available, the lower score wins (the "power of
 * two choices": close to the best, without every instance herding onto the same replica).
 */
export function pickReplica(
  replicas: readonly ReplicaState[],
  exclude: ReadonlySet<ReplicaState>,
  random: () => number = Math.random,
  now: number = performance.now(),
): ReplicaState | undefined {
  const open = replicas.filter((r) => !exclude.has(r) && r.available());
  if (open.length <= 1) return open[0];
  const a = open[Math.floor(random() * open.length)]!;
  let b = open[Math.floor(random() * (open.length - 1))]!;
  if (b === a) b = open[open.length - 1]!;
  return a.score(now) <= b.score(now) ? a : b;
}
