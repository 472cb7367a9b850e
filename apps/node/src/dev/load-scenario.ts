import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Claimer, onDemandReceipt } from '@stoa/dispute';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { createHotPathBackend, createReceiptSigner, quantizeInput } from '@stoa/ir';
import { privateKeyToAccount } from 'viem/accounts';
import { inferRequest, type LoadReport, runInterleaved } from '../load.js';
import { DEV_KEYS, Deployment } from './deployment.js';
import { spawnNode } from './process.js';

export interface LoadComparison {
  readonly node: LoadReport;
  readonly inProcess: LoadReport;
  /** The executor plus what the node adds besides HTTP: journaling the receipt and its inputs. */
  readonly withJournal: LoadReport;
  /**
   * CPU milliseconds per answered request: of the node process and of the load generator during
   * the node's slices, and of this process during each in-process path's slices. Unlike rates,
   * these hardly move with the machine's other load.
   */
  readonly cpuMsPerRequest: {
    readonly node: number;
    readonly client: number;
    readonly inProcess: number;
    readonly withJournal: number;
  };
}

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux; read between slices). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime at USER_HZ = 100
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * The node's load test: a real chain, the MNIST CNN, one node process on loopback answering
 * `concurrency` clients, each request one of 500 held-out digits in turn; against it, the same
 * hot path (onnxruntime returning the outputs, an on-demand receipt signed by the node's
 * signer) called in-process on the same digits with the same concurrency as the baseline, and
 * that plus the claimer (the receipt and its inputs journaled). The three run interleaved in slices of `sliceSeconds` until each has run `seconds`,
 * so that the other work on a shared machine weighs on all of them alike.
 */
export async function nodeLoadScenario(options: {
  readonly seconds: number;
  readonly concurrency: number;
  readonly sliceSeconds?: number;
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
      d.env(DEV_KEYS.nodeA, { STOA_BATCH_SIZE: '256', STOA_BATCH_MAX_AGE_MS: '5000', STOA_POLL_MS: '1000' }),
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
    );
    try {
      await node.waitForHealth('ready');
      const overHttp = inferRequest(node.url, digits);
      await overHttp(); // warm-up
      // The node's own signer: the baseline differs from the node only by what HTTP adds.
      const signer = await createReceiptSigner(DEV_KEYS.nodeB, {
        chainId: d.at.chainId,
        verifyingContract: d.at.claimRegistry,
      });
      const inputs = digits.map((digit) => [quantizeInput(model.graph, 0, digit)]);
      let nonce = 0n;
      const run = async () => {
        const mine = ++nonce;
        const given = inputs[Number(mine % BigInt(inputs.length))]!;
        const outputs = await backend.run(given);
        return {
          inputs: given,
          receipt: signer.sign(onDemandReceipt(model, given, outputs, signer.address, mine)),
        };
      };
      const claimer = await Claimer.open({
        dir: journalDir,
        client: d.client,
        account: privateKeyToAccount(DEV_KEYS.nodeB),
        addresses: d.at,
        batchSize: 1 << 16,
        maxBatchAgeMs: 3_600_000,
        postInline: false,
      });
      const cpu = { node: 0, client: 0, inProcess: 0, withJournal: 0 };
      let started = { own: 0, node: 0 };
      const reports = await runInterleaved(
        {
          node: overHttp,
          inProcess: async () => void (await run()),
          withJournal: async () => {
            const done = await run();
            await claimer.add(done.receipt, { model, inputs: done.inputs });
          },
        },
        {
          sliceSeconds: 2,
          ...options,
          // Sampled between slices, when no request is in flight (the node's ticks count too).
          onSlice: (name, phase) => {
            const own = ownCpuMs();
            const nodeMs = processCpuMs(node.process.pid!);
            if (phase === 'start') started = { own, node: nodeMs };
            else if (name === 'node') {
              cpu.client += own - started.own;
              cpu.node += nodeMs - started.node;
            } else cpu[name] += own - started.own;
          },
        },
      );
      const per = (ms: number, r: LoadReport) => ms / Math.max(1, r.requests - r.errors);
      return {
        ...reports,
        cpuMsPerRequest: {
          node: per(cpu.node, reports.node),
          client: per(cpu.client, reports.node),
          inProcess: per(cpu.inProcess, reports.inProcess),
          withJournal: per(cpu.withJournal, reports.withJournal),
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

export function formatComparison({ node, inProcess, withJournal, cpuMsPerRequest }: LoadComparison): string {
  const row = (name: string, r: LoadReport) =>
    `${name.padEnd(22)} ${String(r.requests).padStart(8)} ${String(r.errors).padStart(6)} ${r.throughput.toFixed(1).padStart(10)} ${r.p50ms.toFixed(2).padStart(8)} ${r.p99ms.toFixed(2).padStart(8)}`;
  return [
    `${'path'.padEnd(22)} ${'requests'.padStart(8)} ${'errors'.padStart(6)} ${'req/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
    row('node over HTTP', node),
    row('executor in-process', inProcess),
    row('  + journal', withJournal),
    `ratios node / in-process: throughput ${(node.throughput / inProcess.throughput).toFixed(2)}, p50 ${(node.p50ms / inProcess.p50ms).toFixed(2)}, p99 ${(node.p99ms / inProcess.p99ms).toFixed(2)}`,
    `ratios (executor + journal) / in-process: throughput ${(withJournal.throughput / inProcess.throughput).toFixed(2)}, p99 ${(withJournal.p99ms / inProcess.p99ms).toFixed(2)}`,
    `CPU ms per request: node process ${cpuMsPerRequest.node.toFixed(2)} + load generator ${cpuMsPerRequest.client.toFixed(2)}; in-process executor ${cpuMsPerRequest.inProcess.toFixed(2)}, + journal ${cpuMsPerRequest.withJournal.toFixed(2)}`,
  ].join('\n');
}
