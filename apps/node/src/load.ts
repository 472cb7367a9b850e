import { BINARY_INPUTS_CONTENT_TYPE, encodeBinaryInputs } from './binary-inputs.js';
import { batchBody, INFER_BATCH_CONTENT_TYPE, MAX_BATCH_ITEMS } from './infer-batch.js';
import { keepAlivePoster } from './load-client.js';
import { MicroBatcher } from './micro-batch.js';

/** Latency percentiles and throughput of a bounded run. */
export interface LoadReport {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly throughput: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly firstError?: string;
}

/** What one load slice measured: the latencies of the requests that succeeded, and the failures. */
interface Slice {
  readonly latencies: number[];
  errors: number;
  firstError?: string;
  seconds: number;
}

/** Calls `request` from `concurrency` loops for `seconds`, adding to `into`. */
async function runSlice(
  request: () => Promise<void>,
  seconds: number,
  concurrency: number,
  into: Slice,
): Promise<void> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      try {
        await request();
        into.latencies.push(performance.now() - t);
      } catch (error) {
        into.errors++;
        into.firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  into.seconds += (performance.now() - started) / 1000;
}

function report(slice: Slice): LoadReport {
  const latencies = [...slice.latencies].sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    requests: latencies.length + slice.errors,
    errors: slice.errors,
    seconds: slice.seconds,
    throughput: latencies.length / slice.seconds,
    p50ms: at(0.5),
    p99ms: at(0.99),
    ...(slice.firstError ? { firstError: slice.firstError } : {}),
  };
}

/**
 * Calls `request` from `concurrency` loops until `seconds` have passed (a bounded run that
 * stops by itself) and reports latencies. A request that throws counts as an error.
 */
export async function runLoad(
  request: () => Promise<void>,
  options: { readonly seconds: number; readonly concurrency: number },
): Promise<LoadReport> {
  const slice: Slice = { latencies: [], errors: 0, seconds: 0 };
  await runSlice(request, options.seconds, options.concurrency, slice);
  return report(slice);
}

/**
 * Loads several targets in turn, `sliceSeconds` each, round after round, until each has run
 * `seconds`: on a machine shared with other work, every target sees the same contention, so
 * ratios between them hold even when absolute rates swing from minute to minute.
 */
export async function runInterleaved<K extends string>(
  targets: Readonly<Record<K, () => Promise<void>>>,
  options: {
    readonly seconds: number;
    readonly concurrency: number;
    readonly sliceSeconds: number;
    /** Told when each slice starts and ends (to attribute CPU time to its target, say). */
    readonly onSlice?: (name: K, phase: 'start' | 'end') => void;
  },
): Promise<Record<K, LoadReport>> {
  const names = Object.keys(targets) as K[];
  const slices = Object.fromEntries(
    names.map((name) => [name, { latencies: [], errors: 0, seconds: 0 }]),
  ) as unknown as Record<K, Slice>;
  const rounds = Math.max(1, Math.round(options.seconds / options.sliceSeconds));
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      options.onSlice?.(name, 'start');
      await runSlice(targets[name], options.seconds / rounds, options.concurrency, slices[name]);
      options.onSlice?.(name, 'end');
    }
  }
  return Object.fromEntries(names.map((name) => [name, report(slices[name])])) as Record<K, LoadReport>;
}

/**
 * POSTs one inference per call, cycling through `inputs` (distinct requests, as real traffic
 * is), and fails unless the node answers 200 with a receipt. It speaks HTTP/1.1 over raw
 * keep-alive sockets (load-client.ts) rather than fetch or node:http: the load generator shares
 * the machine with the node, and the client's per-request CPU would be charged to the node's
 * throughput.
 */
export function inferRequest(url: string, inputs: readonly (readonly number[])[]): () => Promise<void> {
  const bodies = inferenceBodies(inputs);
  const post = keepAlivePoster(new URL('/v1/infer', url));
  let next = 0;
  return async () => answered(await post(bodies[next++ % bodies.length]!, 'application/json'));
}

/**
 * The gateway's default coalescing (apps/gateway routing/coalesce.ts: two batches in flight,
 * `MIN_SPLIT_BATCH` = 4): a turn of 4 calls goes whole, 16 go as 8 + 8. Kept equal to the
 * gateway's by hand (an app does not import another app); the node's load test drives the node
 * this way for its must-show row, as a deployed gateway does.
 */
export const GATEWAY_MIN_SPLIT_BATCH = 4;

/**
 * Like `inferRequest`, but as the gateway sends (apps/gateway/src/routing/coalesce.ts): the
 * calls made in one turn of the event loop go as one request to the node's batch route (a lone
 * call to the single route), and each call fails unless its own answer is a 200 with a receipt.
 * With `binary`, each inference's body is the binary form (binary-inputs.ts) instead of JSON,
 * as a caller holding float32 arrays sends it through the gateway. With `pipelined`, two batches
 * are kept in flight (micro-batch.ts: a batch takes at most half of the outstanding calls, the
 * rest goes a turn later) instead of one; `minSplit` is the smallest batch such a split may make
 * (GATEWAY_MIN_SPLIT_BATCH is the gateway's default arrangement, STOA_GATEWAY_BATCHES_IN_FLIGHT=2).
 */
export function coalescedInferRequest(
  url: string,
  inputs: readonly (readonly number[])[],
  {
    binary = false,
    pipelined = false,
    minSplit = 1,
  }: { readonly binary?: boolean; readonly pipelined?: boolean; readonly minSplit?: number } = {},
): () => Promise<void> {
  const bodies = binary ? inputs.map((input) => encodeBinaryInputs([input])) : inferenceBodies(inputs);
  const singleType = binary ? BINARY_INPUTS_CONTENT_TYPE : 'application/json';
  const single = keepAlivePoster(new URL('/v1/infer', url));
  const batch = keepAlivePoster(new URL('/v1/infer-batch', url));
  const batcher = new MicroBatcher<Buffer, void>(
    async (items) => {
      if (items.length === 1) return [answered(await single(items[0]!, singleType))];
      const reply = await batch(batchBody(items), INFER_BATCH_CONTENT_TYPE);
      if (reply.status !== 200)
        throw new Error(`HTTP ${reply.status}: ${(reply.body as { error?: string }).error}`);
      const { answers } = reply.body as { answers: { status: number; body: unknown }[] };
      return answers.map(answered);
    },
    MAX_BATCH_ITEMS,
    { pipelined, minSplit },
  );
  let next = 0;
  return () => batcher.submit(bodies[next++ % bodies.length]!);
}

function inferenceBodies(inputs: readonly (readonly number[])[]): Buffer[] {
  return inputs.map((input) => Buffer.from(JSON.stringify({ inputs: [input] })));
}

/** Throws unless the answer is a 200 with a receipt. */
function answered({ status, body }: { status: number; body: unknown }): void {
  const answer = body as { receipt?: unknown; error?: string };
  if (status !== 200 || !answer.receipt) throw new Error(`HTTP ${status}: ${answer.error}`);
}
