import { readFileSync } from 'node:fs';
import { type CannedRequest, cannon } from './load-generator.js';

/** One path (direct or through the gateway) in one round: wall numbers and CPU per request. */
export interface PathRound {
  readonly p50ms: number;
  readonly throughput: number;
  /** CPU µs per request of the node and of the gateway (0 on the direct path) and of this process. */
  readonly nodeCpuUs: number;
  readonly gatewayCpuUs: number;
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
  /** The same with two coalesced batches in flight (STOA_GATEWAY_BATCHES_IN_FLIGHT=2), when measured. */
  readonly twoInFlight?: { readonly addedP50: number; readonly ratio: number; readonly gatewayCpuUs: number };
}

/**
 * Measures one path: latency at one client (an offered load below saturation) and throughput
 * at `concurrency` clients, with the CPU time each process spent over both (Linux /proc for the
 * servers, `process.cpuUsage` for the load generator), divided by the requests answered.
 */
export async function measurePath(
  origin: string,
  requests: readonly CannedRequest[],
  pids: { readonly node: number; readonly gateway: number; readonly database?: () => readonly number[] },
  { seconds, concurrency }: { seconds: number; concurrency: number },
): Promise<PathRound> {
  const databaseMs = () => (pids.database?.() ?? []).reduce((sum, pid) => sum + cpuMsIfAlive(pid), 0);
  const before = {
    node: cpuMs(pids.node),
    gateway: cpuMs(pids.gateway),
    database: databaseMs(),
    client: process.cpuUsage(),
  };
  const latency = await cannon(origin, requests, { seconds, connections: 1 });
  const loadStart = {
    node: cpuMs(pids.node),
    side: cpuMs(pids.gateway) + databaseMs() + cpuUsageMs(process.cpuUsage()),
    at: performance.now(),
  };
  const load = await cannon(origin, requests, { seconds, connections: concurrency });
  const loadWallMs = performance.now() - loadStart.at;
  const count = latency.requests + load.requests;
  const client = process.cpuUsage(before.client);
  const sideMs = cpuMs(pids.gateway) + databaseMs() + cpuUsageMs(process.cpuUsage()) - loadStart.side;
  return {
    p50ms: latency.p50ms,
    throughput: load.throughput,
    nodeCpuUs: ((cpuMs(pids.node) - before.node) * 1000) / count,
    gatewayCpuUs: ((cpuMs(pids.gateway) - before.gateway) * 1000) / count,
    clientCpuUs: (client.user + client.system) / count,
    databaseCpuUs: ((databaseMs() - before.database) * 1000) / count,
    nodeBusy: (cpuMs(pids.node) - loadStart.node) / loadWallMs,
    // On the direct path pids.gateway is the idle gateway: its polls count, as they do on CPU 0.
    gatewaySideBusy: sideMs / loadWallMs,
  };
}

function cpuUsageMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

export function roundOf(
  direct: PathRound,
  gateway: PathRound,
  twoInFlight: PathRound | undefined,
  loadAverage: number,
): Round {
  return {
    loadAverage,
    ...(twoInFlight
      ? {
          twoInFlight: {
            addedP50: twoInFlight.p50ms - direct.p50ms,
            ratio: twoInFlight.throughput / direct.throughput,
            gatewayCpuUs: twoInFlight.gatewayCpuUs,
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
    'direct req/s': of((r) => r.direct.throughput, 0),
    'gateway req/s': of((r) => r.gateway.throughput, 0),
    'throughput gateway/direct': of((r) => r.ratio, 3),
    'gateway CPU µs/req': of((r) => r.gatewayCpuUs, 0),
    // Both processes' CPU per request inflates with the machine's load (caches, frequency,
    // preemption); their ratio moves far less, so it compares runs made at different loads.
    'gateway CPU / node CPU': of((r) => r.gatewayCpuUs / r.nodeCpuUs, 2),
    'load average': of((r) => r.loadAverage, 1),
    'database server CPU µs/req (gateway arm)': of((r) => r.gateway.databaseCpuUs, 0),
    ...(rounds.every((r) => r.twoInFlight)
      ? {
          [`${thirdArm}: added p50 ms`]: of((r) => r.twoInFlight!.addedP50, 2),
          [`${thirdArm}: throughput`]: of((r) => r.twoInFlight!.ratio, 3),
          [`${thirdArm}: gateway CPU µs/req`]: of((r) => r.twoInFlight!.gatewayCpuUs, 0),
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
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
