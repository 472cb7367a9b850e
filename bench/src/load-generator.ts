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
 * The requests as autocannon takes them. A list of several goes as one entry whose
 * `setupRequest` hands each connection the next request of the list in turn (a shared counter):
 * given the list itself, every connection builds every request's buffer when the run starts
 * (autocannon's RequestIterator.setRequests): 16 connections over 1,000 keyed requests built
 * 16,000 buffers of 15 KB per 3 s run, and the load generator spent 270–506 µs of CPU per
 * request answered against 74–112 for one request (BENCHMARKS.md, session 33). In the pinned
 * layout that CPU is the gateway's core. Built per request sent, each costs one build.
 */
function cycled(requests: readonly CannedRequest[]): autocannon.Request[] {
  // Bodies as bytes once: autocannon encodes a string body again for every request it builds
  // (~66 µs for the bench's 15 KB MNIST body, ~17 µs to build from a Buffer).
  const built = requests.map(({ fresh, body, ...r }) => ({ ...r, body: Buffer.from(body), fresh }));
  // A new headers object every time: autocannon writes its content-length into the one it gets.
  const entry = ({ fresh, ...r }: (typeof built)[number]) => ({
    ...r,
    headers: { ...r.headers, ...fresh?.() },
  });
  if (built.length === 1 && !built[0]!.fresh) return [{ method: 'POST', ...entry(built[0]!) }];
  let next = 0;
  return [
    {
      method: 'POST',
      setupRequest: (req: autocannon.Request) => ({ ...req, ...entry(built[next++ % built.length]!) }),
    },
  ];
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
    requests: cycled(requests),
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
