import { createOnnxRuntimeBackend } from '@stoa/ir';
import { corpus } from '../data/corpus.js';
import { importGpt, windows } from '../integer-model.js';
import { loadGptOnnx, loadTokenizer } from '../models.js';
import { floatPerplexity, integerPerplexity } from '../perplexity.js';

/**
 * Float (onnxruntime) vs integer (Stoa, traced onnxruntime backend) perplexity of the committed
 * GPT on held-out Moby Dick (chapters 121–135).
 * Usage: npm run perplexity -w @stoa/example-gpt [-- <windows, default 200> <calibration windows, default 8>]
 */
const count = Number(process.argv[2] ?? 200);
const calibrationCount = Number(process.argv[3] ?? 8);
const tokenizer = loadTokenizer();
const onnx = loadGptOnnx();
const vocab = tokenizer.vocabulary.length;
const heldOut = windows(tokenizer.encode(corpus('heldOut')), 64, count);
const calibration = windows(tokenizer.encode(corpus('train')), 64, calibrationCount, 10_000).map((w) =>
  w.subarray(0, 64),
);
const started = Date.now();
const result = importGpt(onnx, calibration);
console.error(
  `imported in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.model.graph.edgeOps.length} steps`,
);
const backend = await createOnnxRuntimeBackend(result.model, { log: () => {} });
try {
  const float = await floatPerplexity(onnx, heldOut, vocab);
  const integer = await integerPerplexity(result.model, backend, heldOut, vocab);
  console.log(`held-out characters: ${float.tokens}`);
  console.log(`float   perplexity ${float.perplexity.toFixed(4)} (${float.loss.toFixed(4)} nats/char)`);
  console.log(`integer perplexity ${integer.perplexity.toFixed(4)} (${integer.loss.toFixed(4)} nats/char)`);
  console.log(`integer / float: ${(integer.perplexity / float.perplexity).toFixed(4)}`);
} finally {
  await backend.close();
}
