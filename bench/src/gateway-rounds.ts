import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { type CannedRequest, cannon } from './load-generator.js';

/** One path (direct or through the gateway) in one round: wall numbers and CPU per request. */
export interface PathRound {
  /** At one client, alternated with the other paths' requests (`pairedLatency`). */
  readonly p50ms: number;
  readonly throughput: number;
  /**
   * CPU µs per request over the throughput run, of the node, of the gateway (its idle cost on the
   * direct path) and of this process (the load generator).
   */
  readonly nodeCpuUs: number;
  readonly gatewayCpuUs: number;
  /**
   * Of `gatewayCpuUs`, the gateway's main thread (its event loop: HTTP, the receipt check, the
   * request signature, the coalescer); the rest is its other threads (the SQL workers, V8's GC
   * helpers).
   */
  readonly gatewayMainCpuUs: number;
  readonly clientCpuUs: number;
  /** CPU µs per request of the database server's processes (PostgreSQL; 0 for SQLite, in the gateway). */
  readonly databaseCpuUs: number;
  /**
   * Over the throughput run only, the share of one core each side kept busy: the node, and the
   * gateway side (gateway + database server + load generator: CPU 0 in the pinned layout). When
   * neither is near 1, the closed-loop clients are bound by round-trip latency, not by CPU.
   */
  readonly nodeBusy: number;
  readonly gatewaySideBusy: number;
}

/** One round of both paths, as the verdict compares them. */
export interface Round {
  readonly direct: PathRound;
  readonly gateway: PathRound;
  readonly addedP50: number;
  readonly ratio: number;
  readonly gatewayCpuUs: number;
  readonly nodeCpuUs: number;
  /** The machine's 1-minute load average at the end of the round (other engineers' work included). */
  readonly loadAverage: number;
  /**
   * The bare TCP relay's added p50 (gateway-relay.ts), measured in the same latency run: what one
   * more process and loopback hop cost on this machine, whatever the proxy does.
   */
  readonly relayAddedP50?: number;
  /** The same for the third arm (another coalescer setting, or another checkout's gateway), when measured. */
  readonly third?: {
    readonly addedP50: number;
    readonly ratio: number;
    readonly gatewayCpuUs: number;
    readonly nodeBusy: number;
    readonly gatewaySideBusy: number;
  };
}

/** One path's origin and the requests the load generator cycles through on it. */
export interface PathTarget {
  readonly origin: string;
  readonly requests: readonly CannedRequest[];
}

/**
 * Latency at one client on every path at once: one keep-alive connection per path, the paths'
 * requests alternated one by one (the order reversed every pair), for `seconds`. Each path's
 * p50 comes from the same minutes as the others', so a machine that drifts (other processes, CPU
 * frequency) moves every path alike and their difference, the added latency, stays put: measured
 * one path after the other, 2 s each, the direct arm's own p50 moved 1.39–2.58 ms between rounds
 * (BENCHMARKS.md, "Lead's reruns after merging session 28"). A request's fresh headers (the direct
 * path's signature) are made before its clock starts. Returns each path's p50 in ms.
 */
export async function pairedLatency(paths: readonly PathTarget[], seconds: number): Promise<number[]> {
  const agents = paths.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const latencies: number[][] = paths.map(() => []);
  try {
    const until = performance.now() + seconds * 1000;
    for (let i = 0; performance.now() < until; i++) {
      const order = paths.map((_, p) => (i % 2 === 0 ? p : paths.length - 1 - p));
      for (const p of order) {
        const { origin, requests } = paths[p]!;
        latencies[p]!.push(await timedPost(agents[p]!, origin, requests[i % requests.length]!));
      }
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
  return latencies.map((ms) => {
    const sorted = ms.sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  });
}

/** One POST on `agent`'s connection; resolves with its round trip in ms, rejects unless 200. */
function timedPost(agent: Agent, origin: string, canned: CannedRequest): Promise<number> {
  const url = new URL(origin);
  const headers = {
    ...canned.headers,
    ...canned.fresh?.(),
    'content-length': String(Buffer.byteLength(canned.body)),
  };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sent = request(
      { host: url.hostname, port: url.port, path: canned.path, method: 'POST', agent, headers },
      (response) => {
        response.resume();
        response.on('end', () => {
          const ms = performance.now() - started;
          if (response.statusCode === 200) resolve(ms);
          else reject(new Error(`${origin}${canned.path}: HTTP ${response.statusCode}`));
        });
      },
    );
    sent.on('error', reject);
    sent.end(canned.body);
  });
}

/**
 * Measures one path's throughput at `concurrency` closed-loop clients, with the CPU time each
 * process spent over that run (Linux /proc for the servers, `process.cpuUsage` for the load
 * generator) divided by the requests answered. `p50ms` is the path's latency from
 * `pairedLatency`, measured beside the other paths'.
 */
export async function measurePath(
  { origin, requests }: PathTarget,
  p50ms: number,
  pids: { readonly node: number; readonly gateway: number; readonly database?: () => readonly number[] },
  { seconds, concurrency }: { seconds: number; concurrency: number },
): Promise<PathRound> {
  const databaseMs = () => (pids.database?.() ?? []).reduce((sum, pid) => sum + cpuMsIfAlive(pid), 0);
  const before = {
    node: cpuMs(pids.node),
    gateway: cpuMs(pids.gateway),
    gatewayMain: threadCpuMs(pids.gateway, pids.gateway),
    database: databaseMs(),
    client: process.cpuUsage(),
    at: performance.now(),
  };
  const load = await cannon(origin, requests, { seconds, connections: concurrency });
  const wallMs = performance.now() - before.at;
  const client = process.cpuUsage(before.client);
  const gatewayMs = cpuMs(pids.gateway) - before.gateway;
  const gatewayMainMs = threadCpuMs(pids.gateway, pids.gateway) - before.gatewayMain;
  const dbMs = databaseMs() - before.database;
  const nodeMs = cpuMs(pids.node) - before.node;
  const count = load.requests;
  return {
    p50ms,
    throughput: load.throughput,
    nodeCpuUs: (nodeMs * 1000) / count,
    gatewayCpuUs: (gatewayMs * 1000) / count,
    gatewayMainCpuUs: (gatewayMainMs * 1000) / count,
    clientCpuUs: (client.user + client.system) / count,
    databaseCpuUs: (dbMs * 1000) / count,
    nodeBusy: nodeMs / wallMs,
    // On the direct path pids.gateway is the idle gateway: its polls count, as they do on CPU 0.
    gatewaySideBusy: (gatewayMs + dbMs + cpuUsageMs(client)) / wallMs,
  };
}

function cpuUsageMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

export function roundOf(
  direct: PathRound,
  gateway: PathRound,
  third: PathRound | undefined,
  loadAverage: number,
  relayP50?: number,
): Round {
  return {
    loadAverage,
    ...(relayP50 !== undefined ? { relayAddedP50: relayP50 - direct.p50ms } : {}),
    ...(third
      ? {
          third: {
            addedP50: third.p50ms - direct.p50ms,
            ratio: third.throughput / direct.throughput,
            gatewayCpuUs: third.gatewayCpuUs,
            nodeBusy: third.nodeBusy,
            gatewaySideBusy: third.gatewaySideBusy,
          },
        }
      : {}),
    direct,
    gateway,
    addedP50: gateway.p50ms - direct.p50ms,
    ratio: gateway.throughput / direct.throughput,
    gatewayCpuUs: gateway.gatewayCpuUs,
    nodeCpuUs: direct.nodeCpuUs,
  };
}

/** The median of `xs` and its spread (min–max), formatted. */
export function spread(xs: readonly number[], digits: number): { median: number; text: string } {
  const sorted = [...xs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const f = (x: number) => x.toFixed(digits);
  return { median, text: `${f(median)} (${f(sorted[0]!)}–${f(sorted[sorted.length - 1]!)})` };
}

/** One database's table row: medians over the rounds, with min–max in parentheses. */
export function summaryRow(
  database: string,
  pinned: boolean,
  concurrency: number,
  rounds: readonly Round[],
  /** What the third arm was (two batches in flight, or another checkout's gateway). */
  thirdArm = 'two batches in flight',
): Record<string, string> {
  const of = (pick: (r: Round) => number, digits: number) => spread(rounds.map(pick), digits).text;
  return {
    database,
    cores: pinned ? 'pinned: node cpu1; gateway, its db, client cpu0' : 'unpinned: all share both',
    rounds: String(rounds.length),
    clients: String(concurrency),
    'direct p50 ms (1 client)': of((r) => r.direct.p50ms, 2),
    'gateway p50 ms (1 client)': of((r) => r.gateway.p50ms, 2),
    'added p50 ms': of((r) => r.addedP50, 2),
    ...(rounds.every((r) => r.relayAddedP50 !== undefined)
      ? {
          // What any proxy process adds here, and the gateway's own share above it, per round.
          'bare relay added p50 ms': of((r) => r.relayAddedP50!, 2),
          'gateway minus relay p50 ms': of((r) => r.addedP50 - r.relayAddedP50!, 2),
        }
      : {}),
    'direct req/s': of((r) => r.direct.throughput, 0),
    'gateway req/s': of((r) => r.gateway.throughput, 0),
    'throughput gateway/direct': of((r) => r.ratio, 3),
    'gateway CPU µs/req': of((r) => r.gatewayCpuUs, 0),
    'of which main thread': of((r) => r.gateway.gatewayMainCpuUs, 0),
    // Both processes' CPU per request inflates with the machine's load (caches, frequency,
    // preemption); their ratio moves far less, so it compares runs made at different loads.
    'gateway CPU / node CPU': of((r) => r.gatewayCpuUs / r.nodeCpuUs, 2),
    'load average': of((r) => r.loadAverage, 1),
    'database server CPU µs/req (gateway arm)': of((r) => r.gateway.databaseCpuUs, 0),
    ...(rounds.every((r) => r.third)
      ? {
          [`${thirdArm}: added p50 ms`]: of((r) => r.third!.addedP50, 2),
          [`${thirdArm}: throughput`]: of((r) => r.third!.ratio, 3),
          [`${thirdArm}: gateway CPU µs/req`]: of((r) => r.third!.gatewayCpuUs, 0),
          [`${thirdArm}: node busy / gateway side busy`]: `${spread(
            rounds.map((r) => r.third!.nodeBusy),
            2,
          ).median.toFixed(2)} / ${spread(
            rounds.map((r) => r.third!.gatewaySideBusy),
            2,
          ).median.toFixed(2)}`,
        }
      : {}),
    // Over the throughput run: is either side's core full (CPU-bound), or neither (latency-bound)?
    'node busy (direct / via gateway)': `${spread(
      rounds.map((r) => r.direct.nodeBusy),
      2,
    ).median.toFixed(2)} / ${spread(
      rounds.map((r) => r.gateway.nodeBusy),
      2,
    ).median.toFixed(2)}`,
    'gateway side busy (via gateway)': of((r) => r.gateway.gatewaySideBusy, 2),
    'node CPU µs/req (direct)': of((r) => r.nodeCpuUs, 0),
    'node CPU µs/req (via gateway)': of((r) => r.gateway.nodeCpuUs, 0),
    'client CPU µs/req (direct / via gateway)': `${spread(
      rounds.map((r) => r.direct.clientCpuUs),
      0,
    ).median.toFixed(0)} / ${spread(
      rounds.map((r) => r.gateway.clientCpuUs),
      0,
    ).median.toFixed(0)}`,
  };
}

/** As `cpuMs`, or 0 for a process that has exited (a database backend). */
function cpuMsIfAlive(pid: number): number {
  try {
    return cpuMs(pid);
  } catch {
    return 0;
  }
}

/** User + system CPU time of a process so far, in ms (Linux /proc; clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** The same for one thread of a process (its main thread: `tid` = `pid`). */
function threadCpuMs(pid: number, tid: number): number {
  return statCpuMs(`/proc/${pid}/task/${tid}/stat`);
}

function statCpuMs(file: string): number {
  const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
