import { createHash } from 'node:crypto';
import {
  createHotPathBackend,
  createOnnxRuntimeBackend,
  type ExecutionBackend,
  execute,
  type Model,
  referenceBackend,
} from '@stoa/ir';
import * as ort from 'onnxruntime-node';
import { corpus } from '../data/corpus.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../export/onnx-export.js';
import { generate } from '../generate.js';
import { importGpt, window, windows } from '../integer-model.js';
import { loadGptOnnx, loadTokenizer } from '../models.js';

/**
 * Greedy generation for `prompts` held-out prompts on every backend: tokens per second at batch 1
 * and a SHA-256 digest of all generated tokens (run it in two processes: the digests must match).
 * Usage: npx tsx examples/gpt/src/cli/generation.ts [prompts, default 100] [tokens each, default 8]
 */
const promptCount = Number(process.argv[2] ?? 100);
const maxTokens = Number(process.argv[3] ?? 8);
const tokenizer = loadTokenizer();
const onnx = loadGptOnnx();
const text = corpus('heldOut');
const prompts = Array.from({ length: promptCount }, (_, i) => text.slice(i * 331, i * 331 + 24));
const calibration = windows(tokenizer.encode(corpus('train')), 64, 8, 10_000).map((w) => w.subarray(0, 64));
const { model } = importGpt(onnx, calibration);

async function run(name: string, backend: ExecutionBackend) {
  const hash = createHash('sha256');
  const started = performance.now();
  let tokens = 0;
  const all: number[][] = [];
  for (const prompt of prompts) {
    const g = await generate(model, backend, tokenizer, prompt, { maxTokens });
    hash.update(Int32Array.from(g.tokens));
    tokens += g.tokens.length;
    all.push(g.tokens);
  }
  const perSecond = tokens / ((performance.now() - started) / 1000);
  return { name, perSecond, digest: hash.digest('hex').slice(0, 16), all };
}

/** The float ONNX model in onnxruntime float32, greedy on float logits: the baseline. */
async function floatBackend(tokenizerOf: Tokenizer, m: Model) {
  const session = await ort.InferenceSession.create(onnx);
  const context = m.graph.nodeTypes[m.graph.inputs[0]!]!.shape.at(-1)!;
  const started = performance.now();
  let tokens = 0;
  const all: number[][] = [];
  for (const prompt of prompts) {
    let t = prompt;
    const out: number[] = [];
    for (let k = 0; k < maxTokens; k++) {
      const { ids, length } = window(tokenizerOf, t, context);
      const feeds = {
        [ONNX_INPUT_NAME]: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, context]),
      };
      const logits = (await session.run(feeds))[ONNX_OUTPUT_NAME]!.data as Float32Array;
      const vocab = logits.length / context;
      let best = 0;
      for (let j = 1; j < vocab; j++)
        if (logits[(length - 1) * vocab + j]! > logits[(length - 1) * vocab + best]!) best = j;
      out.push(best);
      t += tokenizerOf.decode([best]);
      tokens++;
    }
    all.push(out);
  }
  await session.release();
  return {
    name: 'onnxruntime float32 (baseline)',
    perSecond: tokens / ((performance.now() - started) / 1000),
    all,
  };
}

const ortTraced = await createOnnxRuntimeBackend(model, { log: () => {} });
const hot = await createHotPathBackend(model, { log: () => {} });
const results = [];
const float = await floatBackend(tokenizer, model);
results.push(
  await run('Stoa hot path (plain)', { run: async (i) => ({ outputs: await hot.run(i), values: [] }) }),
);
results.push(
  await run('Stoa onnxruntime, traced', {
    async run(inputs) {
      const e = await execute(model, inputs, { backend: ortTraced, trace: true });
      return { outputs: e.outputs, values: e.values! };
    },
  }),
);
results.push(await run('Stoa reference interpreter', referenceBackend(model)));
await ortTraced.close();
await hot.close();
console.log(`${promptCount} prompts × ${maxTokens} tokens, batch 1, window recomputed per token`);
console.log(`${float.name}: ${float.perSecond.toFixed(1)} tokens/s`);
for (const r of results) {
  const agree = r.all.flat().filter((t, i) => t === float.all.flat()[i]).length / r.all.flat().length;
  console.log(
    `${r.name}: ${r.perSecond.toFixed(1)} tokens/s (${(r.perSecond / float.perSecond).toFixed(3)}× float), digest ${r.digest}, tokens equal to float greedy ${(100 * agree).toFixed(1)}%`,
  );
}
