/**
 * `npm run demo`: import the example MNIST model from ONNX, quantize it, run one
 * inference on a held-out digit with the reference interpreter, and print the output and the
 * model's content address; then the same inference traced on the onnxruntime backend, with a
 * signed receipt. Usage: npm run demo [-- --model mlp|cnn] [-- --digit <0..9999>]
 */
import {
  createOnnxRuntimeBackend,
  dequantizeOutput,
  encodeModel,
  execute,
  modelId,
  quantizeInput,
  run,
  toHex,
  verifyReceipt,
  weightsRoot,
} from '@stoa/ir';
import { privateKeyToAccount } from 'viem/accounts';
import { loadMnist } from '../data/mnist.js';
import { argmax, digit, importMnistModel } from '../evaluate.js';
import type { MnistModelKind } from '../models.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const kind = flag('model', 'cnn');
const index = Number(flag('digit', '0'));
if (kind !== 'mlp' && kind !== 'cnn') {
  console.error(`--model must be mlp or cnn, got '${kind}'`);
  process.exit(2);
}
if (!Number.isInteger(index) || index < 0 || index > 9999) {
  console.error(`--digit must be an integer in 0..9999 (a held-out test digit), got '${flag('digit', '')}'`);
  process.exit(2);
}

function ascii(image: Float32Array): string {
  const shades = ' .:-=+*#%@';
  const rows: string[] = [];
  for (let y = 0; y < 28; y += 2) {
    let row = '';
    for (let x = 0; x < 28; x++)
      row += shades[Math.min(9, Math.floor(((image[y * 28 + x]! + image[(y + 1) * 28 + x]!) / 2) * 10))];
    rows.push(`    ${row}`);
  }
  return rows.join('\n');
}

console.log(`Importing examples/mnist/models/${kind}.onnx (calibrating on 200 training digits)...`);
const started = performance.now();
const q = importMnistModel(kind as MnistModelKind);
const imported = performance.now();
const test = loadMnist('test');
const image = digit(test, index);
const result = run(q.model, [quantizeInput(q.model.graph, 0, image)]);
const logits = dequantizeOutput(q.model.graph, 0, result.outputs[0]!);
const predicted = argmax(result.outputs[0]!.data);

console.log(`\nTest digit #${index} (label ${test.labels[index]}):\n${ascii(image)}\n`);
console.log(
  `  prediction   ${predicted}${predicted === test.labels[index] ? ' (correct)' : ` (wrong, label ${test.labels[index]})`}`,
);
console.log(`  int logits   [${Array.from(result.outputs[0]!.data).join(', ')}]`);
console.log(`  logits       [${Array.from(logits, (v) => v.toFixed(3)).join(', ')}]`);
console.log(
  `\n  model        ${q.model.name}: ${q.model.schedule.length} steps, ${q.model.graph.params.size} weight tensors`,
);
console.log(`  modelId      ${toHex(modelId(q.model))}`);
console.log(`  weightsRoot  ${toHex(weightsRoot(q.model))}`);
console.log(`  artifact     ${encodeModel(q.model).length} bytes`);
console.log(
  `  timing       import ${(imported - started).toFixed(0)} ms, inference ${(performance.now() - imported).toFixed(1)} ms`,
);

// The same request as a node serves it: fast backend, trace commitments, signed receipt.
// Anvil's first development key: public knowledge, never holds value.
const devNode = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const domain = { chainId: 31337, verifyingContract: '0x0000000000000000000000000000000000000000' } as const;
const backend = await createOnnxRuntimeBackend(q.model);
const inputs = [quantizeInput(q.model.graph, 0, image)];
const tracedStart = performance.now();
const traced = await execute(q.model, inputs, { backend, sign: { account: devNode, domain, nonce: 1n } });
const tracedMs = performance.now() - tracedStart;
await backend.close();
const same = traced.outputs[0]!.data.every((v, i) => v === result.outputs[0]!.data[i]);
const receipt = traced.receipt!;
console.log(`
Traced on onnxruntime (${tracedMs.toFixed(1)} ms, ${same ? 'bit-identical to the reference' : 'DIFFERENT from the reference'}):`);
console.log(`  traceRoot    ${receipt.traceRoot} (${receipt.steps} steps)`);
console.log(`  inputDigest  ${receipt.inputDigest}`);
console.log(`  outputDigest ${receipt.outputDigest}`);
console.log(
  `  receipt      signed by ${receipt.node} (dev key), nonce ${receipt.nonce}, ${(await verifyReceipt(receipt, domain)) ? 'verifies' : 'DOES NOT VERIFY'}`,
);
if (!same) process.exit(1);
