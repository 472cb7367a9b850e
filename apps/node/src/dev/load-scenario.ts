import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRegistration, receiptDomainOf } from '@stoa/contracts';
import { Claimer, onDemandReceipt } from '@stoa/dispute';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { createHotPathBackend, createReceiptSigner, quantizeInput } from '@stoa/ir';
import { privateKeyToAccount } from 'viem/accounts';
import { postWhenFull } from '../claim-posting.js';
import {
  coalescedInferRequest,
  GATEWAY_MIN_SPLIT_BATCH,
  inferRequest,
  type LoadReport,
  runInterleaved,
} from '../load.js';
import { MAX_BATCH, onDemandAnswers } from '../on-demand-answers.js';
import { Serial } from '../serial.js';
import { ensureOwnStake } from '../stake.js';
import { DEV_KEYS, Deployment } from './deployment.js';
import { spawnNode } from './process.js';

/** Receipts per claim, for the node and for the in-process baseline alike. */
const BATCH_SIZE = 256;

export interface LoadComparison {
  readonly concurrency: number;
  /**
   * The node over HTTP, driven as the gateway drives it by default (routing/coalesce.ts,
   * STOA_GATEWAY_BATCHES_IN_FLIGHT=2): the clients' calls of one event-loop turn go as batch
   * requests, two batches in flight, never split below 4 (4 clients: one batch of 4; 16: 8 + 8);
   * a lone call goes to the single route.
   */
  readonly node: LoadReport;
  /**
   * The same with one batch in flight (every turn's calls whole), as a gateway with
   * STOA_GATEWAY_BATCHES_IN_FLIGHT=1 sends them: the must-show row up to session 29. At 4
   * clients it is the same arrangement as `node`, so the two rows show the bench's noise.
   */
  readonly nodeOneInFlight: LoadReport;
  /** The node over HTTP with one inference per request (no coalescing), for reference. */
  readonly nodeSingle: LoadReport;
  /**
   * The same work the node does per request, minus HTTP and JSON: the node's own batched
   * answering function (hot path, signed on-demand receipt, receipt and inputs journaled) and
   * its background claim posting (a claim per 256 receipts).
   */
  readonly inProcess: LoadReport;
  /**
   * The same work with two batches in flight: shown so that no ratio is flattered by a
   * scheduling the baseline could use too.
   */
  readonly inProcessPipelined: LoadReport;
  /** The bare executor: the hot path and a signed receipt, nothing journaled. */
  readonly executor: LoadReport;
  /**
   * CPU milliseconds per answered request: of the node process and of the load generator during
   * the node's slices, and of this process during each in-process path's slices. Unlike rates,
   * these hardly move with the machine's other load.
   */
  readonly cpuMsPerRequest: {
    readonly node: number;
    readonly client: number;
    readonly nodeOneInFlight: number;
    readonly clientOneInFlight: number;
    readonly nodeSingle: number;
    readonly clientSingle: number;
    readonly inProcess: number;
    readonly inProcessPipelined: number;
    readonly executor: number;
    /**
     * The main threads alone (the rest is the thread pool's journal writes, onnxruntime and V8's
     * helpers): the node's during its coalesced slices, and this process's during the
     * in-process same-work slices (which also runs the callers' loops). Session 28 found the
     * node's extra CPU all on its main thread.
     */
    readonly nodeMain: number;
    readonly inProcessMain: number;
  };
}

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux; read between slices). */
function processCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time of a process's main thread (its thread id is its pid) so far, in ms. */
function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime at USER_HZ = 100
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * The node's load test: a real chain, the MNIST CNN, one node process on loopback answering
 * `concurrency` clients, each request one of 500 held-out digits in turn. The baseline is the
 * same work in-process with the same concurrency on the same digits: the node's own answering
 * function (`onDemandAnswers`: hot path, receipt signed by the node's signer, receipt and
 * inputs journaled, batched per event-loop turn) fed the quantized digits, posting claims of
 * the node's size in the background (`postWhenFull`, a second staked node key), with one batch
 * and with two batches in flight; a last path is the bare executor (hot path and signature
 * only). The node is driven coalesced with binary inputs as the gateway does by default (two
 * batches in flight, never split below 4: the must-show row), the same with one batch in flight,
 * and one JSON inference per request. After `warmupSeconds` of each, unmeasured, all run
 * interleaved in slices of `sliceSeconds` until each has run `seconds`, so that the other work
 * on a shared machine weighs on all of them alike.
 */
export async function nodeLoadScenario(options: {
  readonly seconds: number;
  readonly concurrency: number;
  readonly sliceSeconds?: number;
  /** Seconds each path runs unmeasured before the measured slices (default 2; 0: none). */
  readonly warmupSeconds?: number;
}): Promise<LoadComparison> {
  const { model } = importMnistModel('cnn');
  const images = loadMnist('test').images;
  const digits = Array.from({ length: 500 }, (_, i) => Array.from(images.subarray(784 * i, 784 * (i + 1))));
  const d = await Deployment.start(model);
  const journalDir = await mkdtemp(join(tmpdir(), 'stoa-load-'));
  const backend = await createHotPathBackend(model, { spinning: false }); // as the node runs it
  try {
    const node = await spawnNode(
      // The production poll interval (the dev deployment's 200 ms is for quick tests).
      d.env(DEV_KEYS.nodeA, {
        STOA_BATCH_SIZE: String(BATCH_SIZE),
        STOA_BATCH_MAX_AGE_MS: '5000',
        STOA_POLL_MS: '1000',
      }),
      // STOA_LOAD_CPU_PROF=<dir>: the node process writes a V8 CPU profile there when it stops.
      process.env.STOA_LOAD_CPU_PROF
        ? {
            command: process.execPath,
            args: [
              '--cpu-prof',
              `--cpu-prof-dir=${process.env.STOA_LOAD_CPU_PROF}`,
              '--import',
              'tsx',
              fileURLToPath(new URL('../main.ts', import.meta.url)),
            ],
          }
        : undefined,
      { keepLogs: false },
    );
    try {
      await node.waitForHealth('ready');
      // As a caller holding float32 arrays sends through the gateway: the binary inputs form
      // (binary-inputs.ts); the one-per-request row keeps the JSON form.
      const overHttp = coalescedInferRequest(node.url, digits, {
        binary: true,
        pipelined: true,
        minSplit: GATEWAY_MIN_SPLIT_BATCH,
      });
      const overHttpOne = coalescedInferRequest(node.url, digits, { binary: true });
      const oneEach = inferRequest(node.url, digits);
      await oneEach(); // warm-up
      await Promise.all([overHttp(), overHttp(), overHttpOne(), overHttpOne()]);
      // The node's own signer: the baseline differs from the node only by what HTTP adds.
      const signer = await createReceiptSigner(DEV_KEYS.nodeB, receiptDomainOf(d.at));
      const inputs = digits.map((digit) => [quantizeInput(model.graph, 0, digit)]);
      let nonce = 0n;
      let next = 0;
      const executor = async () => {
        const given = inputs[next++ % inputs.length]!;
        const outputs = await backend.run(given);
        signer.sign(onDemandReceipt(model, given, outputs, signer.address, ++nonce));
      };
      // A second node's key, registered and staked like the node, posting claims of the same
      // size in the background as the node does: the same work, minus HTTP.
      const account = privateKeyToAccount(DEV_KEYS.nodeB);
      await ensureRegistration(d.client, d.at, account, model);
      await ensureOwnStake(d.client, d.at, account, undefined, { log: () => {} });
      const claimer = await Claimer.open({
        dir: journalDir,
        client: d.client,
        account,
        addresses: d.at,
        batchSize: BATCH_SIZE,
        maxBatchAgeMs: 3_600_000,
        postInline: false,
      });
      const postIfFull = postWhenFull({
        claimer,
        batchSize: BATCH_SIZE,
        serial: new Serial(),
        posted: () => {},
        failed: (error) => {
          postError ??= error;
        },
      });
      let postError: Error | undefined;
      const answering = {
        model,
        hotPath: backend,
        signer,
        claimer,
        nextNonce: () => ++nonce,
        maxBatch: MAX_BATCH,
      };
      const answer = onDemandAnswers(answering);
      const answerPipelined = onDemandAnswers({ ...answering, pipelined: true });
      const inProcessWith = (answerOf: typeof answer) => async () => {
        await answerOf(inputs[next++ % inputs.length]!);
        postIfFull();
        if (postError) throw postError;
      };
      const cpu = {
        node: 0,
        client: 0,
        nodeOneInFlight: 0,
        clientOneInFlight: 0,
        nodeSingle: 0,
        clientSingle: 0,
        inProcess: 0,
        inProcessPipelined: 0,
        executor: 0,
        nodeMain: 0,
        inProcessMain: 0,
      };
      const clientOf = {
        node: 'client',
        nodeOneInFlight: 'clientOneInFlight',
        nodeSingle: 'clientSingle',
      } as const;
      let started = { own: 0, node: 0, nodeMain: 0, ownMain: 0 };
      const targets = {
        node: overHttp,
        nodeOneInFlight: overHttpOne,
        nodeSingle: oneEach,
        inProcess: inProcessWith(answer),
        inProcessPipelined: inProcessWith(answerPipelined),
        executor,
      };
      // Every path runs unmeasured first, so that each process's code is optimized for its load
      // before the clock starts: a fresh node's main thread spent about twice the CPU per request
      // in its first seconds (its per-request code still in V8's baseline tiers), the in-process
      // paths about 1.2 times (docs/decisions.md, "The node keeps up, session 30").
      const warmup = options.warmupSeconds ?? 2;
      if (warmup > 0)
        await runInterleaved(targets, {
          seconds: warmup,
          concurrency: options.concurrency,
          sliceSeconds: warmup,
        });
      const reports = await runInterleaved(targets, {
        sliceSeconds: 2,
        seconds: options.seconds,
        concurrency: options.concurrency,
        ...(options.sliceSeconds ? { sliceSeconds: options.sliceSeconds } : {}),
        // Sampled between slices, when no request is in flight (the node's ticks count too).
        onSlice: (name, phase) => {
          const own = ownCpuMs();
          const nodeMs = processCpuMs(node.process.pid!);
          const nodeMain = mainThreadCpuMs(node.process.pid!);
          const ownMain = mainThreadCpuMs(process.pid);
          if (phase === 'start') started = { own, node: nodeMs, nodeMain, ownMain };
          else if (name === 'node' || name === 'nodeOneInFlight' || name === 'nodeSingle') {
            cpu[clientOf[name]] += own - started.own;
            cpu[name] += nodeMs - started.node;
            if (name === 'node') cpu.nodeMain += nodeMain - started.nodeMain;
          } else {
            cpu[name] += own - started.own;
            if (name === 'inProcess') cpu.inProcessMain += ownMain - started.ownMain;
          }
        },
      });
      const per = (ms: number, r: LoadReport) => ms / Math.max(1, r.requests - r.errors);
      await claimer.close();
      return {
        concurrency: options.concurrency,
        ...reports,
        cpuMsPerRequest: {
          node: per(cpu.node, reports.node),
          client: per(cpu.client, reports.node),
          nodeOneInFlight: per(cpu.nodeOneInFlight, reports.nodeOneInFlight),
          clientOneInFlight: per(cpu.clientOneInFlight, reports.nodeOneInFlight),
          nodeSingle: per(cpu.nodeSingle, reports.nodeSingle),
          clientSingle: per(cpu.clientSingle, reports.nodeSingle),
          inProcess: per(cpu.inProcess, reports.inProcess),
          inProcessPipelined: per(cpu.inProcessPipelined, reports.inProcessPipelined),
          executor: per(cpu.executor, reports.executor),
          nodeMain: per(cpu.nodeMain, reports.node),
          inProcessMain: per(cpu.inProcessMain, reports.inProcess),
        },
      };
    } finally {
      await node.stop();
    }
  } finally {
    await backend.close();
    await rm(journalDir, { recursive: true, force: true });
    await d.stop();
  }
}

/** Node over HTTP against the same work in-process, and against the bare executor. */
export function loadRatios({
  node,
  nodeOneInFlight,
  nodeSingle,
  inProcess,
  inProcessPipelined,
  executor,
}: LoadComparison) {
  return {
    throughput: node.throughput / inProcess.throughput,
    p50: node.p50ms / inProcess.p50ms,
    p99: node.p99ms / inProcess.p99ms,
    pipelinedBaselineThroughput: node.throughput / inProcessPipelined.throughput,
    pipelinedBaselineP99: node.p99ms / inProcessPipelined.p99ms,
    oneInFlightThroughput: nodeOneInFlight.throughput / inProcess.throughput,
    oneInFlightP99: nodeOneInFlight.p99ms / inProcess.p99ms,
    singleThroughput: nodeSingle.throughput / inProcess.throughput,
    singleP99: nodeSingle.p99ms / inProcess.p99ms,
    executorThroughput: node.throughput / executor.throughput,
    executorP99: node.p99ms / executor.p99ms,
  };
}

/**
 * Issue 14's must-show 4: ≥ 0.8× in-process throughput, p99 ≤ 2× in-process, zero errors,
 * against the node's own arrangement in-process (one batch per turn, as the node answers); the
 * line also gives the ratio against the faster of the two in-process arrangements (one or two
 * batches in flight), so that no scheduling the baseline could use too flatters the ratio.
 */
export function mustShow4(result: LoadComparison): { readonly met: boolean; readonly line: string } {
  const { throughput, p99, pipelinedBaselineThroughput } = loadRatios(result);
  const errors = result.node.errors;
  const met = throughput >= 0.8 && p99 <= 2 && errors === 0;
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const stricter = Math.min(throughput, pipelinedBaselineThroughput);
  return {
    met,
    line: `issue 14 must-show 4 (${result.concurrency} clients): ${met ? 'MET' : 'NOT MET'} — throughput ${throughput.toFixed(2)}× in-process (≥ 0.8: ${mark(throughput >= 0.8)}), p99 ${p99.toFixed(2)}× (≤ 2: ${mark(p99 <= 2)}), errors ${errors} (0: ${mark(errors === 0)}); against the faster in-process arrangement ${stricter.toFixed(2)}× (${mark(stricter >= 0.8)})`,
  };
}

export function formatComparison(result: LoadComparison): string {
  const {
    node,
    nodeOneInFlight,
    nodeSingle,
    inProcess,
    inProcessPipelined,
    executor,
    cpuMsPerRequest: cpu,
  } = result;
  const ratios = loadRatios(result);
  const row = (name: string, r: LoadReport) =>
    `${name.padEnd(40)} ${String(r.requests).padStart(8)} ${String(r.errors).padStart(6)} ${r.throughput.toFixed(1).padStart(10)} ${r.p50ms.toFixed(2).padStart(8)} ${r.p99ms.toFixed(2).padStart(8)}${r.firstError ? `  first error: ${r.firstError}` : ''}`;
  return [
    `${'path'.padEnd(40)} ${'requests'.padStart(8)} ${'errors'.padStart(6)} ${'req/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
    row('node over HTTP, coalesced (gateway)', node),
    row('  the same, one batch in flight', nodeOneInFlight),
    row('node over HTTP, one per request (JSON)', nodeSingle),
    row('in-process: same work (+ journal)', inProcess),
    row('  the same, two batches in flight', inProcessPipelined),
    row('in-process: bare executor + sign', executor),
    `node / in-process (same work): throughput ${ratios.throughput.toFixed(2)}, p50 ${ratios.p50.toFixed(2)}, p99 ${ratios.p99.toFixed(2)}`,
    `node / in-process with two batches in flight: throughput ${ratios.pipelinedBaselineThroughput.toFixed(2)}, p99 ${ratios.pipelinedBaselineP99.toFixed(2)}`,
    `node with one batch in flight / in-process (same work): throughput ${ratios.oneInFlightThroughput.toFixed(2)}, p99 ${ratios.oneInFlightP99.toFixed(2)}`,
    `node one per request / in-process (same work): throughput ${ratios.singleThroughput.toFixed(2)}, p99 ${ratios.singleP99.toFixed(2)}`,
    `node / bare executor: throughput ${ratios.executorThroughput.toFixed(2)}, p99 ${ratios.executorP99.toFixed(2)}`,
    `CPU ms per request: node process ${cpu.node.toFixed(2)} + load generator ${cpu.client.toFixed(2)} coalesced, ${cpu.nodeOneInFlight.toFixed(2)} + ${cpu.clientOneInFlight.toFixed(2)} with one batch in flight, ${cpu.nodeSingle.toFixed(2)} + ${cpu.clientSingle.toFixed(2)} one per request; in-process same work ${cpu.inProcess.toFixed(2)} (${cpu.inProcessPipelined.toFixed(2)} two batches in flight), bare executor ${cpu.executor.toFixed(2)}`,
    `CPU ms per request on the main threads: node ${cpu.nodeMain.toFixed(2)} of ${cpu.node.toFixed(2)} coalesced; in-process same work ${cpu.inProcessMain.toFixed(2)} of ${cpu.inProcess.toFixed(2)} (its callers' loops included)`,
    mustShow4(result).line,
  ].join('\n');
}
