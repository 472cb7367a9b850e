/**
 * Trains the MNIST MLP and CNN from scratch and writes them as ONNX to examples/mnist/models/.
 * Each model trains in its own child process so the two use both cores; pass `mlp` or `cnn` to
 * train just one in this process.
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '../data/mnist.js';
import { exportOnnx } from '../export/onnx-export.js';
import { MNIST_MODELS, type MnistModelKind } from '../models.js';
import { accuracy } from '../train/evaluate.js';
import { mulberry32 } from '../train/random.js';
import { TRAINING_RECIPES, TRAINING_SEED } from '../train/recipes.js';
import { train } from '../train/trainer.js';

interface TrainingResult {
  kind: MnistModelKind;
  testAccuracy: number;
  seconds: number;
  bytes: number;
}

const KINDS: readonly MnistModelKind[] = ['mlp', 'cnn'];

function trainAndExport(kind: MnistModelKind): TrainingResult {
  const started = performance.now();
  const recipe = TRAINING_RECIPES[kind];
  const log = (line: string) => console.log(`[${kind}] ${line}`);
  const trainSplit = loadMnist('train');
  const testSplit = loadMnist('test');
  const model = recipe.create(mulberry32(TRAINING_SEED));
  log(`training on ${trainSplit.count} images: ${recipe.epochs} epochs, batch ${recipe.batchSize}, Adam`);
  train(model, trainSplit, {
    epochs: recipe.epochs,
    batchSize: recipe.batchSize,
    learningRate: recipe.learningRate,
    // Shuffling draws from its own stream so changing the architecture does not change the data order.
    seed: TRAINING_SEED + 1,
    onEpoch: (r) =>
      log(
        `epoch ${r.epoch}/${r.epochs}  loss ${r.loss.toFixed(4)}  train acc ${percent(r.trainAccuracy)}  ` +
          `${(r.elapsedMs / 1000).toFixed(1)}s`,
      ),
  });
  const testAccuracy = accuracy(model, testSplit);
  log(`test accuracy ${percent(testAccuracy)} on ${testSplit.count} held-out images`);
  const bytes = exportOnnx(model);
  mkdirSync(dirname(MNIST_MODELS[kind]), { recursive: true });
  writeFileSync(MNIST_MODELS[kind], bytes);
  log(`wrote ${MNIST_MODELS[kind]} (${bytes.length} bytes)`);
  return { kind, testAccuracy, seconds: (performance.now() - started) / 1000, bytes: bytes.length };
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

function trainInChild(kind: MnistModelKind): Promise<TrainingResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [kind]);
    let result: TrainingResult | undefined;
    child.on('message', (message) => {
      result = message as TrainingResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`training ${kind} failed (exit code ${code})`));
    });
  });
}

function writeReadme(results: readonly TrainingResult[]): void {
  const byKind = new Map(results.map((r) => [r.kind, r]));
  const lines = KINDS.map((kind) => {
    const r = byKind.get(kind)!;
    const recipe = TRAINING_RECIPES[kind];
    return (
      `- \`${kind}.onnx\`: trained by \`npm run train -w @stoa/example-mnist\` (pure TypeScript, seed ${TRAINING_SEED}, ` +
      `${recipe.epochs} epochs of Adam on the 60k MNIST train split), test accuracy ${percent(r.testAccuracy)} on the 10k test split.`
    );
  });
  writeFileSync(join(dirname(MNIST_MODELS.mlp), 'README.md'), `${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const requested = process.argv[2];
  if (requested !== undefined) {
    if (!KINDS.includes(requested as MnistModelKind)) {
      throw new Error(`unknown model "${requested}", expected one of: ${KINDS.join(', ')}`);
    }
    const result = trainAndExport(requested as MnistModelKind);
    process.send?.(result);
    return;
  }
  const started = performance.now();
  const results = await Promise.all(KINDS.map(trainInChild));
  writeReadme(results);
  for (const r of results) {
    console.log(
      `${r.kind}: test accuracy ${percent(r.testAccuracy)}, ${r.bytes} bytes, ${r.seconds.toFixed(1)}s`,
    );
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
