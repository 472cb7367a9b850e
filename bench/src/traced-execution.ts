import { readFileSync } from 'node:fs';
import { MNIST_MODELS } from '@stoa/example-mnist';
import {
  createHotPathBackend,
  createOnnxRuntimeBackend,
  execute,
  type IntTensor,
  importOnnx,
  type Model,
  quantizeInput,
  Random,
  run,
} from '@stoa/ir';
import * as ort from 'onnxruntime-node';
import { hotPathReceipt } from './hot-path.js';
import { LARGE_CNN_INPUT, LARGE_CNN_MACS, largeCnnOnnx } from './large-cnn.js';
import { medianPair, printTable, timePerCall } from './measure.js';

/**
 * Issue #3's benchmark: for each model and batch size, in one process, (a) plain onnxruntime
 * float32 inference of the original ONNX model, (b) Stoa's fast traced backend (integer ONNX on
 * onnxruntime, every intermediate exposed, trace commitments built), (c) the reference
 * interpreter. Prints traced/plain and reference/traced.
 */
interface BenchModel {
  readonly name: string;
  readonly onnx: Uint8Array;
  readonly inputShape: readonly number[];
  readonly macsPerImage: number;
}

const BATCHES = [1, 32];

function randomImages(count: number, rng: Random): Float32Array {
  return Float32Array.from({ length: count }, () => rng.next());
}

async function timeAsync(fn: () => Promise<unknown>, minMs: number): Promise<number> {
  await fn();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < minMs || calls < 3) {
    await fn();
    calls++;
  }
  return (performance.now() - start) / calls;
}

async function benchModel(m: BenchModel, rows: Record<string, string | number>[]): Promise<void> {
  const rng = new Random(3);
  const perImage = m.inputShape.reduce((a, b) => a * b, 1);
  for (const batch of BATCHES) {
    const calibration = Array.from({ length: 8 }, () => [randomImages(batch * perImage, rng)]);
    const { model } = importOnnx(m.onnx, { calibration, batchSize: batch, label: m.name });
    const images = randomImages(batch * perImage, rng);
    const inputs: IntTensor[] = [quantizeInput(model.graph, 0, images)];

    const session = await ort.InferenceSession.create(m.onnx, { graphOptimizationLevel: 'all' });
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', images, [batch, ...m.inputShape]) };
    const hot = await createHotPathBackend(model);
    let nonce = 0n;
    // Plain and hot path called alternately, medians of each: both see the same contention.
    const [plainMedian, hotMedian] = await medianPair(
      () => session.run(feeds),
      () => hotPathReceipt(model, hot, inputs, nonce++),
      2000,
    );
    await hot.close();
    const plainMean = await timeAsync(() => session.run(feeds), 1000);
    await session.release();

    const backend = await createOnnxRuntimeBackend(model);
    const tracedMs = await timeAsync(() => execute(model, inputs, { trace: true, backend }), 1000);
    await backend.close();

    const referenceMs = timeReference(model, inputs);
    rows.push({
      model: m.name,
      batch,
      'MFLOP/run': ((2 * m.macsPerImage * batch) / 1e6).toFixed(1),
      'plain ort ms': plainMean.toFixed(3),
      'plain median': plainMedian.toFixed(3),
      'hot path median': hotMedian.toFixed(3),
      'traced ms': tracedMs.toFixed(2),
      'reference ms': referenceMs.toFixed(1),
      'hot/plain': (hotMedian / plainMedian).toFixed(2),
      'traced/plain': (tracedMs / plainMean).toFixed(2),
      'reference/traced': (referenceMs / tracedMs).toFixed(1),
      'fallback steps': backend.fallbackSteps.length + hot.fallbackSteps.length,
    });
  }
}

function timeReference(model: Model, inputs: IntTensor[]): number {
  return timePerCall(() => run(model, inputs), 1000);
}

export async function tracedExecution(): Promise<void> {
  const models: BenchModel[] = [
    {
      name: 'mnist-cnn',
      onnx: new Uint8Array(readFileSync(MNIST_MODELS.cnn)),
      inputShape: [1, 28, 28],
      macsPerImage: 333_056,
    },
    { name: 'large-cnn', onnx: largeCnnOnnx(), inputShape: LARGE_CNN_INPUT, macsPerImage: LARGE_CNN_MACS },
  ];
  const rows: Record<string, string | number>[] = [];
  // STOA_BENCH_MODELS=mnist-cnn (comma-separated) measures only those models.
  const only = process.env.STOA_BENCH_MODELS?.split(',');
  for (const m of models.filter((m) => !only || only.includes(m.name))) {
    console.error(`measuring ${m.name}...`);
    await benchModel(m, rows);
  }
  printTable(rows);
  console.log(
    '\nhot path = exact integer inference returning only the outputs (createHotPathBackend) + input/output digests + a signed EIP-712 receipt',
  );
  console.log(
    'traced = integer ONNX on onnxruntime with every intermediate as an output + trace commitments (SHA-256 Merkle)',
  );
  console.log(
    'plain  = onnxruntime float32 inference of the original ONNX model; reference = Stoa reference interpreter',
  );
  console.log(
    'hot/plain = ratio of medians, the two called alternately for 2 s; plain ort ms = mean over 1 s (the traced/plain baseline)',
  );
}
