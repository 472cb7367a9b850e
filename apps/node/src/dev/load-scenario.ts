import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Claimer } from '@stoa/dispute';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { createOnnxRuntimeBackend, createReceiptSigner, execute, quantizeInput } from '@stoa/ir';
import { privateKeyToAccount } from 'viem/accounts';
import { inferRequest, type LoadReport, runLoad } from '../load.js';
import { DEV_KEYS, Deployment } from './deployment.js';
import { spawnNode } from './process.js';

export interface LoadComparison {
  readonly node: LoadReport;
  readonly inProcess: LoadReport;
  /** The executor plus what the node adds besides HTTP: journaling and storing the trace. */
  readonly withJournal: LoadReport;
}

/**
 * The node's load test: a real chain, the MNIST CNN, one node process on loopback answering
 * `concurrency` clients for `seconds`, each request one of 500 held-out digits in turn; then
 * the same executor (onnxruntime backend, traced and signed) called in-process on the same
 * digits with the same concurrency, as the baseline.
 */
export async function nodeLoadScenario(options: {
  readonly seconds: number;
  readonly concurrency: number;
}): Promise<LoadComparison> {
  const { model } = importMnistModel('cnn');
  const images = loadMnist('test').images;
  const digits = Array.from({ length: 500 }, (_, i) => Array.from(images.subarray(784 * i, 784 * (i + 1))));
  const d = await Deployment.start(model);
  try {
    const node = await spawnNode(
      d.env(DEV_KEYS.nodeA, { STOA_BATCH_SIZE: '256', STOA_BATCH_MAX_AGE_MS: '5000' }),
    );
    let report: LoadReport;
    try {
      await node.waitForHealth('ready');
      await inferRequest(node.url, digits)(); // warm-up
      report = await runLoad(inferRequest(node.url, digits), options);
    } finally {
      await node.stop();
    }
    const backend = await createOnnxRuntimeBackend(model, { spinning: false }); // as the node runs it
    // The node's own signer: the baseline differs from the node only by what HTTP adds.
    const signer = await createReceiptSigner(DEV_KEYS.nodeB, {
      chainId: d.at.chainId,
      verifyingContract: d.at.claimRegistry,
    });
    const inputs = digits.map((digit) => [quantizeInput(model.graph, 0, digit)]);
    let nonce = 0n;
    const run = () => {
      const mine = ++nonce;
      return execute(model, inputs[Number(mine % BigInt(inputs.length))]!, {
        backend,
        sign: { signer, nonce: mine },
      });
    };
    const seconds = Math.min(options.seconds, 10);
    const inProcess = await runLoad(async () => void (await run()), { ...options, seconds });
    const journalDir = await mkdtemp(join(tmpdir(), 'stoa-load-'));
    const claimer = await Claimer.open({
      dir: journalDir,
      client: d.client,
      account: privateKeyToAccount(DEV_KEYS.nodeB),
      addresses: d.at,
      batchSize: 1 << 16,
      maxBatchAgeMs: 3_600_000,
      postInline: false,
    });
    const withJournal = await runLoad(
      async () => {
        const done = await run();
        await claimer.add(done.receipt!, { model, values: done.values!, trace: done.trace! });
      },
      { ...options, seconds },
    );
    await backend.close();
    await rm(journalDir, { recursive: true, force: true });
    return { node: report, inProcess, withJournal };
  } finally {
    await d.stop();
  }
}

export function formatComparison({ node, inProcess, withJournal }: LoadComparison): string {
  const row = (name: string, r: LoadReport) =>
    `${name.padEnd(22)} ${String(r.requests).padStart(8)} ${String(r.errors).padStart(6)} ${r.throughput.toFixed(1).padStart(10)} ${r.p50ms.toFixed(2).padStart(8)} ${r.p99ms.toFixed(2).padStart(8)}`;
  return [
    `${'path'.padEnd(22)} ${'requests'.padStart(8)} ${'errors'.padStart(6)} ${'req/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
    row('node over HTTP', node),
    row('executor in-process', inProcess),
    row('  + journal + traces', withJournal),
    `ratios node / in-process: throughput ${(node.throughput / inProcess.throughput).toFixed(2)}, p50 ${(node.p50ms / inProcess.p50ms).toFixed(2)}, p99 ${(node.p99ms / inProcess.p99ms).toFixed(2)}`,
    `ratios (executor + journal + traces) / in-process: throughput ${(withJournal.throughput / inProcess.throughput).toFixed(2)}, p99 ${(withJournal.p99ms / inProcess.p99ms).toFixed(2)}`,
  ].join('\n');
}
