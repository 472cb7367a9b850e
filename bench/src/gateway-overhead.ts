import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { DEV_KEYS, spawnGateway, startStack, TEST_MODEL_NAME } from '@stoa/gateway';
import { GATEWAY_SIGNATURE_HEADER } from '@stoa/ir';
import { gatewaySigningKey, hashKey, keySecret, signGatewayRequest, startTestPostgres } from '@stoa/sdk';
import {
  cpuMs,
  measurePath,
  type PathRound,
  type PathTarget,
  pairedLatency,
  type Round,
  roundOf,
  spread,
  summaryRow,
} from './gateway-rounds.js';
import { type CannedRequest, cannon } from './load-generator.js';
import { printTable } from './measure.js';

const KEYS = 10_000;
const IDLE_SECONDS = 3;
/**
 * `gateway2`, an arm only when asked for: `STOA_BENCH_BATCHES_IN_FLIGHT=<n>` runs a second gateway
 * of this checkout with `STOA_GATEWAY_BATCHES_IN_FLIGHT=<n>` (coalesce.ts; the default is 2), in
 * front of the same node and database: a same-run A/B of the coalescer's setting. Not run by
 * default: its idle gateway polls on the gateway's core through the other arms, and the rounds take
 * half as long again (docs/decisions.md, "The gateway bench: two arms by default").
 */
const THIRD_BATCHES = process.env.STOA_BENCH_BATCHES_IN_FLIGHT;
if (THIRD_BATCHES !== undefined && !/^[1-8]$/.test(THIRD_BATCHES))
  throw new Error(`STOA_BENCH_BATCHES_IN_FLIGHT: "${THIRD_BATCHES}" is not a count of 1 to 8`);
/**
 * `STOA_BENCH_BASELINE_CHECKOUT=<dir>`: the third arm is instead the gateway of another checkout
 * of this repository (its `apps/gateway/src/main.ts`, its own node_modules, its own defaults),
 * in front of the same node and database: a same-run A/B of two versions of the gateway.
 */
const BASELINE_CHECKOUT = process.env.STOA_BENCH_BASELINE_CHECKOUT;
const PATHS =
  THIRD_BATCHES || BASELINE_CHECKOUT
    ? (['direct', 'gateway', 'gateway2'] as const)
    : (['direct', 'gateway'] as const);
type Path = 'direct' | 'gateway' | 'gateway2';
/**
 * `STOA_BENCH_RELAY=0` leaves out the bare TCP relay (gateway-relay.ts), which otherwise runs in
 * front of the node and joins every latency run: the added p50 any extra process and loopback hop
 * costs on this machine, so that the gateway's own share (gateway − relay) shows in the table.
 */
const RELAY = process.env.STOA_BENCH_RELAY !== '0';
/** Above this load average per core the machine's queue, not the gateway, sets the numbers. */
const BUSY_LOAD_PER_CORE = 1.5;

/**
 * The gateway's cost (issue 12, must show 1): the same MNIST requests sent straight to a node
 * (signed with the gateway's key, as the node requires) and through a gateway process in front of it, rounds
 * alternated, 10,000 API keys in the database and requests spread over 1,000 of them; once on
 * SQLite, once on PostgreSQL. Load comes from this process (autocannon; node:http for latency). Each round measures
 * latency at one client (an offered load below saturation: the p50 is the path's own time, not
 * a queue; the paths' requests alternated one by one on one connection each, so that both p50s come
 * from the same seconds) and throughput at each of `STOA_BENCH_CONCURRENCY` clients (default 4 and 16, both arms
 * at each; the verdict's row is the most clients, where the direct arm keeps the node busy).
 *
 * Two process layouts, both measured in every round (`STOA_BENCH_LAYOUTS`, default
 * `pinned,unpinned` on a Linux machine with `taskset` and at least 2 cores): **pinned** puts the
 * node on CPU 1 and the gateway, its database server (PostgreSQL's processes; SQLite runs inside
 * the gateway) and the load generator on CPU 0, the topology of a deployment (a gateway and its
 * database never run on their nodes' machine): the node has the same core on both paths, and the
 * gateway's CPU shows as latency and as a throughput limit only if the gateway side cannot keep
 * up. **unpinned**: every process may run on both cores, and every cycle the gateway or its
 * database spends is taken from the node. The same layout applies to both arms of a round.
 */
export async function gatewayOverhead(): Promise<void> {
  // Five rounds of 3 s per arm (≈ 3 min a database on a quiet machine, ≈ 6.5 min for both): a
  // round is, per layout, one latency run with every path alternated request by request, then
  // each path's throughput at each client count. With 2 s arms the direct arm's own rate moved
  // 822–1,276 req/s between rounds of one run (BENCHMARKS.md, "Lead's reruns after merging
  // session 28"); the verdict takes the median of the rounds and prints their spread.
  const seconds = Number(process.env.STOA_BENCH_SECONDS ?? 3);
  const rounds = Number(process.env.STOA_BENCH_ROUNDS ?? 5);
  const began = performance.now();
  // Closed-loop clients for the throughput run, both arms at each (docs/decisions.md, "The gateway
  // bench's throughput at 16 clients"): at 4 neither core is full and the ratio re-measures the
  // added round trip; 16 keeps the node busy on the direct path, so the ratio is one of capacity.
  const concurrencies = (process.env.STOA_BENCH_CONCURRENCY ?? '4,16').split(',').map((c) => {
    const n = Number(c);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`STOA_BENCH_CONCURRENCY: "${c}" is not a client count`);
    return n;
  });
  const concurrency = Math.max(...concurrencies);
  const layouts = (process.env.STOA_BENCH_LAYOUTS ?? (canPin() ? 'pinned,unpinned' : 'unpinned'))
    .split(',')
    .map((l): Layout => {
      if (l !== 'pinned' && l !== 'unpinned')
        throw new Error(`STOA_BENCH_LAYOUTS: "${l}" is neither "pinned" nor "unpinned"`);
      return l;
    });
  const databases = (process.env.STOA_BENCH_DATABASES ?? 'sqlite,postgresql').split(',');
  const { model } = importMnistModel('cnn');
  const images = loadMnist('test').images;
  const bodies = Array.from({ length: 50 }, (_, i) =>
    JSON.stringify({ inputs: [Array.from(images.subarray(784 * i, 784 * (i + 1)))] }),
  );
  const postgres = await startTestPostgres();
  const rows: Record<string, string>[] = [];
  try {
    for (const database of databases) {
      const stack = await startStack(
        model,
        [{ network: 'akash', key: DEV_KEYS.nodeA, env: { STOA_BACKEND: 'onnxruntime' } }],
        {
          ...(database === 'postgresql' ? { dbUrl: postgres.createDatabase('stoa_bench') } : {}),
        },
      );
      const profileDir = process.env.STOA_BENCH_CPU_PROF;
      const gateway = await spawnGateway(
        stack.gatewayEnv(join(stack.stoaDir, 'bench-spool')),
        profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
      );
      // The third arm, when asked for: another checkout's gateway, or this one with another
      // count of coalesced batches in flight per replica (STOA_GATEWAY_BATCHES_IN_FLIGHT).
      const gatewayTwo = BASELINE_CHECKOUT
        ? // `node --import tsx <baseline main.ts> …`: the script named first runs; what follows is its argv.
          await spawnGateway(stack.gatewayEnv(join(stack.stoaDir, 'bench-spool-2')), [
            '--import',
            'tsx',
            // Relative to where `npm run bench` was started (npm's INIT_CWD), not to bench/.
            resolve(process.env.INIT_CWD ?? process.cwd(), BASELINE_CHECKOUT, 'apps/gateway/src/main.ts'),
          ])
        : THIRD_BATCHES
          ? await spawnGateway({
              ...stack.gatewayEnv(join(stack.stoaDir, 'bench-spool-2')),
              STOA_GATEWAY_BATCHES_IN_FLIGHT: THIRD_BATCHES,
            })
          : undefined;
      const thirdArm = BASELINE_CHECKOUT
        ? `baseline gateway (${BASELINE_CHECKOUT})`
        : `${THIRD_BATCHES} batches in flight`;
      const relay = RELAY ? await spawnRelay(stack.nodes[0]!.url) : undefined;
      try {
        const keys = await insertKeys(stack.db, stack.stoaDir, stack.projectId);
        const nodeUrl = stack.nodes[0]!.url;
        const json = { 'content-type': 'application/json' };
        // The node takes only the gateway's signed requests, each signature once: the direct
        // client signs each request as the gateway does (its CPU is the client's, not the node's).
        const signingKey = gatewaySigningKey(stack.gatewaySecret);
        const direct: CannedRequest[] = bodies.map((body) => {
          const path = `/v1/models/${stack.deployment.modelId}/infer`;
          const bytes = Buffer.from(body);
          const deploymentId = stack.deploymentId;
          return {
            path,
            headers: json,
            body,
            fresh: () => ({
              [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest(signingKey, {
                method: 'POST',
                path,
                deploymentId,
                body: bytes,
              }),
            }),
          };
        });
        // Requests spread over 1,000 of the 10,000 keys.
        const through: CannedRequest[] = keys.slice(0, 1000).map((key, i) => ({
          path: `/v1/models/${TEST_MODEL_NAME}/infer`,
          headers: { ...json, authorization: `Bearer ${key}` },
          body: bodies[i % bodies.length]!,
        }));
        const target: Record<Path, PathTarget> = {
          direct: { origin: nodeUrl, requests: direct },
          gateway: { origin: gateway.url, requests: through },
          gateway2: { origin: gatewayTwo?.url ?? '', requests: through },
        };
        const postmaster = database === 'postgresql' ? postmasterOf(postgres.port) : undefined;
        const pids = {
          node: stack.nodes[0]!.process.pid!,
          gateway: gateway.process.pid!,
          ...(postmaster !== undefined ? { database: () => processTree(postmaster) } : {}),
        };
        const lay = (layout: Layout) => {
          const gatewaySide = layout === 'pinned' ? '0' : '0-1';
          pin(pids.node, layout === 'pinned' ? '1' : '0-1');
          pin(pids.gateway, gatewaySide);
          if (gatewayTwo) pin(gatewayTwo.process.pid!, gatewaySide);
          if (relay) pin(relay.pid, gatewaySide);
          pin(process.pid, gatewaySide);
          // The postmaster and its backends (new backends inherit the postmaster's CPUs).
          if (postmaster !== undefined) for (const pid of processTree(postmaster)) pin(pid, gatewaySide);
        };
        lay(layouts[0]!);
        // Warm both paths, and every one of the 1,000 keys in use: a gateway's steady state has
        // its active keys cached (KeyCache), and first sights are not what this bench measures.
        // 8 s: in 3 s the gateway's CPU per request was still falling over the first two rounds (JIT).
        await cannon(gateway.url, through, { seconds: 8, connections: 10, warmUp: true });
        // The connections walk the list together (load-generator.ts), so a slow warm-up may not
        // reach every key: each is also sent once (else the 1-client rounds, which walk
        // further, would measure first sights).
        await sendEach(gateway.url, through, 8);
        if (gatewayTwo) {
          await cannon(gatewayTwo.url, through, { seconds: 4, connections: 10, warmUp: true });
          await sendEach(gatewayTwo.url, through, 8);
        }
        await cannon(nodeUrl, direct, { seconds: 2, connections: concurrency, warmUp: true });
        // The gateway's fixed cost (key-version polls, heartbeats, catalog refresh, health
        // probes), spent with or without traffic: what the per-request CPU includes at this rate.
        const idleBefore = cpuMs(pids.gateway);
        await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
        const idleMsPerS = (cpuMs(pids.gateway) - idleBefore) / IDLE_SECONDS;
        console.log(`  ${database}: gateway idle CPU ${idleMsPerS.toFixed(1)} ms/s`);
        const arms = layouts.flatMap((layout) => concurrencies.map((clients) => ({ layout, clients })));
        const measuredRounds = new Map<string, Round[]>(arms.map((a) => [`${a.layout}@${a.clients}`, []]));
        const batchSizes = new Map<string, number[]>(arms.map((a) => [`${a.layout}@${a.clients}`, []]));
        const thirdBatchSizes = new Map<string, number[]>(arms.map((a) => [`${a.layout}@${a.clients}`, []]));
        for (let round = 0; round < rounds; round++) {
          // Layouts alternated too: each round measures every arm in each layout.
          for (const layout of round % 2 === 0 ? layouts : [...layouts].reverse()) {
            lay(layout);
            const paths = round % 2 === 0 ? PATHS : [...PATHS].reverse();
            // Latency at one client once per layout and round, every path's requests alternated
            // (the bare relay's last, with the direct path's requests: it forwards them as they are).
            const p50s = await pairedLatency(
              [
                ...paths.map((path) => target[path]),
                ...(relay ? [{ origin: relay.url, requests: direct }] : []),
              ],
              seconds,
            );
            const relayP50 = relay ? p50s[paths.length] : undefined;
            const p50Of = (path: Path) => p50s[(paths as readonly Path[]).indexOf(path)]!;
            for (const clients of round % 2 === 0 ? concurrencies : [...concurrencies].reverse()) {
              const measured: Partial<Record<Path, PathRound>> = {};
              // Client requests per inference request the node answered: 1 direct, the mean
              // coalesced batch through a gateway (its CPU per request and the node's follow it).
              const perNodeRequest: Partial<Record<Path, number>> = {};
              for (const path of paths) {
                const nodeRequestsBefore = await nodeInferRequests(nodeUrl);
                measured[path] = await measurePath(
                  target[path],
                  p50Of(path),
                  path === 'gateway2' ? { ...pids, gateway: gatewayTwo!.process.pid! } : pids,
                  { seconds, concurrency: clients },
                );
                const nodeRequests = (await nodeInferRequests(nodeUrl)) - nodeRequestsBefore;
                perNodeRequest[path] = (measured[path].throughput * seconds) / nodeRequests;
              }
              const batching = `inferences per node request ${(['gateway', 'gateway2'] as const)
                .filter((p) => perNodeRequest[p] !== undefined)
                .map((p) => `${p} ${perNodeRequest[p]!.toFixed(2)}`)
                .join(', ')};`;
              batchSizes.get(`${layout}@${clients}`)!.push(perNodeRequest.gateway!);
              if (perNodeRequest.gateway2 !== undefined)
                thirdBatchSizes.get(`${layout}@${clients}`)!.push(perNodeRequest.gateway2);
              const last = roundOf(
                measured.direct!,
                measured.gateway!,
                measured.gateway2,
                loadavg()[0]!,
                relayP50,
              );
              const relayText =
                last.relayAddedP50 !== undefined ? ` (bare relay ${last.relayAddedP50.toFixed(2)} ms)` : '';
              measuredRounds.get(`${layout}@${clients}`)!.push(last);
              const two = last.third
                ? ` (${thirdArm}: ${last.third.addedP50.toFixed(2)} ms, ${last.third.ratio.toFixed(3)}×, ${last.third.gatewayCpuUs.toFixed(0)} µs CPU/req, node busy ${last.third.nodeBusy.toFixed(2)}, gateway side ${last.third.gatewaySideBusy.toFixed(2)})`
                : '';
              console.log(
                `  ${database} ${layout} ${clients} clients round ${round + 1}/${rounds}: added p50 ${last.addedP50.toFixed(2)} ms${relayText}, throughput ${last.ratio.toFixed(3)}×${two}, gateway ${last.gatewayCpuUs.toFixed(0)} µs CPU/req (main thread ${last.gateway.gatewayMainCpuUs.toFixed(0)}), node ${last.nodeCpuUs.toFixed(0)} µs CPU/req, gateway/node CPU ${(last.gatewayCpuUs / last.nodeCpuUs).toFixed(2)}; ${batching} direct ${last.direct.throughput.toFixed(0)} req/s (node busy ${last.direct.nodeBusy.toFixed(2)}), gateway ${last.gateway.throughput.toFixed(0)} req/s (node busy ${last.gateway.nodeBusy.toFixed(2)}, gateway side ${last.gateway.gatewaySideBusy.toFixed(2)}, node ${last.gateway.nodeCpuUs.toFixed(0)} µs/req); client ${last.direct.clientCpuUs.toFixed(0)} / ${last.gateway.clientCpuUs.toFixed(0)} µs/req (load avg ${last.loadAverage.toFixed(1)})`,
              );
            }
          }
        }
        for (const { layout, clients } of arms)
          rows.push({
            ...summaryRow(
              database,
              layout === 'pinned',
              clients,
              measuredRounds.get(`${layout}@${clients}`)!,
              thirdArm,
            ),
            'gateway idle CPU ms/s': idleMsPerS.toFixed(1),
            'inferences per node request (gateway)': spread(batchSizes.get(`${layout}@${clients}`)!, 2).text,
            ...(gatewayTwo
              ? {
                  [`${thirdArm}: inferences per node request`]: spread(
                    thirdBatchSizes.get(`${layout}@${clients}`)!,
                    2,
                  ).text,
                }
              : {}),
          });
      } catch (error) {
        // A failed request through a gateway reads "internal error; see the gateway log": show it.
        for (const g of [gateway, gatewayTwo])
          for (const entry of g?.logs.filter((l) => l.level === 'error' || l.level === 'warn') ?? [])
            console.error(`  gateway log: ${JSON.stringify(entry)}`);
        throw error;
      } finally {
        relay?.kill();
        await gatewayTwo?.stop();
        await gateway.stop();
        await stack.stop();
      }
    }
  } finally {
    postgres.stop();
  }
  console.log(
    `MNIST CNN (onnxruntime node), autocannon; per round and layout ${seconds} s at 1 client with every path's requests alternated (latency), then per path ${seconds} s at ${concurrencies.join(' and ')} clients (throughput; CPU per request over these runs), ${rounds} alternated rounds, medians (min–max); layouts: ${layouts.join(', ')} (pinned: node on CPU 1; gateway, its database and the client on CPU 0); load average at the end ${loadavg()[0]!.toFixed(1)} (2 cores: above ~3 the ratios measure the queue):\n`,
  );
  printTable(rows);
  console.log(`\n(${((performance.now() - began) / 1000).toFixed(0)} s in all)\n`);
  const busyAbove = BUSY_LOAD_PER_CORE * cpus().length;
  for (const row of rows) {
    // The verdict takes the medians over the rounds (the first number of each cell).
    const added = Number.parseFloat(row['added p50 ms']!);
    const ratio = Number.parseFloat(row['throughput gateway/direct']!);
    const load = Number.parseFloat(row['load average']!);
    const busy =
      load > busyAbove
        ? ` — measured at load average ${load.toFixed(1)} on ${cpus().length} cores (above ${busyAbove.toFixed(1)}): the machine's queue sets these numbers, so this verdict is not evidence either way; rerun on a quiet machine`
        : '';
    console.log(
      `issue 12 must-show 1, ${row.database}, ${row.cores}, ${row.clients} clients${Number(row.clients) === concurrency ? '' : ' (reference row; the must-show reads the most clients)'}: ${added <= 1 && ratio >= 0.9 ? 'MET' : 'NOT MET'} — added p50 ${added.toFixed(2)} ms (bar ≤ 1 ms: ${added <= 1 ? 'met' : 'NOT met'}), ` +
        `throughput ${ratio.toFixed(3)}× direct (bar ≥ 0.9×: ${ratio >= 0.9 ? 'met' : 'NOT met'}); ` +
        `the gateway spends ${row['gateway CPU µs/req']} µs of CPU per request, the node ${row['node CPU µs/req (direct)']} µs; node busy direct / via gateway ${row['node busy (direct / via gateway)']}${busy}`,
    );
  }
}

/** Starts gateway-relay.ts in front of `nodeUrl` as its own process; resolves once it listens. */
async function spawnRelay(nodeUrl: string): Promise<{ url: string; pid: number; kill(): void }> {
  const script = fileURLToPath(new URL('./gateway-relay.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, new URL(nodeUrl).host], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (bytes: Buffer) => {
      seen += bytes.toString();
      const line = seen.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve(String((JSON.parse(line) as { url: string }).url));
    });
    child.once('exit', (code) => reject(new Error(`the bare relay exited (${code}) before listening`)));
  });
  return { url, pid: child.pid!, kill: () => child.kill('SIGTERM') };
}

/**
 * Inference requests the node has answered so far, single and batched (its /metrics counter
 * `stoa_requests_total` for the two inference routes, every status).
 */
async function nodeInferRequests(nodeUrl: string): Promise<number> {
  const text = await (await fetch(`${nodeUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n'))
    if (/^stoa_requests_total\{route="\/v1\/(models\/infer|infer-batch)"/.test(line))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

/** Sends every request once, `concurrency` at a time; throws on an answer other than 200. */
async function sendEach(
  origin: string,
  requests: readonly CannedRequest[],
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const { path, headers, body } = requests[next++]!;
      const response = await fetch(`${origin}${path}`, { method: 'POST', headers, body });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`warming ${path}: HTTP ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Whether this machine can pin processes to cores (Linux `taskset`, at least 2 cores). */
function canPin(): boolean {
  if (cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

type Layout = 'pinned' | 'unpinned';

/** The PostgreSQL server listening on `port`: its postmaster's pid (its command line names the port). */
function postmasterOf(port: number): number {
  const pid = Number(
    execFileSync('pgrep', ['-f', '--', `-p ${port} -k`], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );
  if (!(pid > 0)) throw new Error(`no PostgreSQL server on port ${port}`);
  return pid;
}

/** A process and its descendants (Linux /proc). */
function processTree(pid: number): number[] {
  let children: number[];
  try {
    const list = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    children = list ? list.split(/\s+/).map(Number) : [];
  } catch {
    return []; // gone
  }
  return [pid, ...children.flatMap(processTree)];
}

/** Pins every thread of a process (onnxruntime's pool included) to the given CPU list. */
function pin(pid: number, cpuList: string): void {
  try {
    execFileSync('taskset', ['-a', '-cp', cpuList, String(pid)], { stdio: 'ignore' });
  } catch (error) {
    // A PostgreSQL backend may exit between listing and pinning; the node and gateway may not.
    if (existsSync(`/proc/${pid}`)) throw error;
  }
}

async function insertKeys(
  db: Awaited<ReturnType<typeof startStack>>['db'],
  stoaDir: string,
  projectId: string,
): Promise<string[]> {
  const secret = keySecret(stoaDir);
  const keys = Array.from({ length: KEYS }, () => `sk_${randomBytes(32).toString('base64url')}`);
  for (let i = 0; i < keys.length; i += 1000) {
    await db.apiKey.createMany({
      data: keys.slice(i, i + 1000).map((key, j) => ({
        projectId,
        name: `bench-${i + j}`,
        prefix: key.slice(0, 12),
        hash: hashKey(secret, key),
      })),
    });
  }
  return keys;
}
