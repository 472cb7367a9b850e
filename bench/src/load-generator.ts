import autocannon from 'autocannon';

/** One request autocannon replays (each connection cycles through the list). */
export interface CannedRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Headers made afresh for each request sent (e.g. a single-use signature). */
  readonly fresh?: () => Record<string, string>;
}

export interface CannonReport {
  readonly requests: number;
  readonly throughput: number;
  readonly p50ms: number;
  readonly p99ms: number;
}

/**
 * Offers load with autocannon (raw sockets, requests encoded once up front): its own CPU per
 * request is a fraction of a `fetch` loop's, which on a 2-core machine would otherwise compete
 * with the servers it measures. Latencies are taken from every response at microsecond
 * resolution (autocannon's own histogram keeps whole milliseconds). Throws on any non-2xx.
 */
export async function cannon(
  origin: string,
  requests: readonly CannedRequest[],
  {
    seconds,
    connections,
    warmUp = false,
  }: { seconds: number; connections: number /** Failures are tolerated (not measured). */; warmUp?: boolean },
): Promise<CannonReport> {
  const latencies: number[] = [];
  const options: autocannon.Options = {
    url: origin,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    requests: requests.map(({ fresh, ...r }) => ({
      method: 'POST' as const,
      ...r,
      ...(fresh
        ? { setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...r.headers, ...fresh() } }) }
        : {}),
    })),
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)));
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
  if (!warmUp && (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0))
    throw new Error(
      `${origin}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts of ${result.requests.total}`,
    );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    throughput: latencies.length / seconds,
    p50ms: at(0.5),
    p99ms: at(0.99),
  };
}
