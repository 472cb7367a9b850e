/**
 * Float vs integer accuracy of the MNIST models on held-out test digits.
 * Usage: npm run mnist:accuracy [-- --count 10000] [-- mlp|cnn]
 */

import { measureAccuracy } from '../evaluate.js';
import type { MnistModelKind } from '../models.js';

const args = process.argv.slice(2);
const countFlag = args.indexOf('--count');
const count = countFlag >= 0 ? Number(args[countFlag + 1]) : 10000;
const kinds = args.filter((a) => a === 'mlp' || a === 'cnn') as MnistModelKind[];
if (!Number.isInteger(count) || count < 1 || count > 10000) {
  console.error(`--count must be an integer in 1..10000, got ${args[countFlag + 1]}`);
  process.exit(2);
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
let failed = false;
for (const kind of kinds.length > 0 ? kinds : (['mlp', 'cnn'] as const)) {
  const started = performance.now();
  const report = await measureAccuracy(kind, count, (done, total) => {
    process.stderr.write(`\r  ${kind}: ${done}/${total} digits through the integer interpreter`);
  });
  process.stderr.write('\n');
  const gap = (report.floatAccuracy - report.integerAccuracy) * 100;
  console.log(`${kind.toUpperCase()}  model ${report.modelId}`);
  console.log(`  held-out digits   ${report.count}`);
  console.log(`  float accuracy    ${percent(report.floatAccuracy)}   (onnxruntime, float32 ONNX)`);
  console.log(`  integer accuracy  ${percent(report.integerAccuracy)}   (Stoa reference interpreter)`);
  console.log(`  gap               ${gap.toFixed(2)} percentage points (limit 0.50)`);
  console.log(`  agreement         ${percent(report.agreement)} of digits get the same class`);
  console.log(`  took              ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (gap > 0.5) failed = true;
}
if (failed) {
  console.error('integer accuracy is more than 0.5 points below float accuracy');
  process.exit(1);
}
