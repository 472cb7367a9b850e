import { writeFileSync } from 'node:fs';
import { corpus } from '../data/corpus.js';
import { trainTokenizer } from '../data/tokenizer.js';
import { exportOnnx } from '../export/onnx-export.js';
import { GPT_MODEL_PATH, gptConfig, TOKENIZER_PATH, TRAINING } from '../models.js';
import { parameterCount } from '../train/params.js';
import { meanLoss, trainGpt } from '../train/trainer.js';

/**
 * Trains the tokenizer and the GPT on Moby Dick chapters 1–120 (seeded), reports held-out
 * perplexity and writes models/gpt.onnx and models/tokenizer.json.
 * Usage: npm run train -w @stoa/example-gpt [-- <steps>]
 */
const steps = Number(process.argv[2] ?? TRAINING.steps);
const text = corpus('train');
const tokenizer = trainTokenizer(text);
const tokens = tokenizer.encode(text);
const config = gptConfig(tokenizer.vocabulary.length);
const started = Date.now();
console.error(`training on ${tokens.length} characters, vocabulary ${config.vocab}, ${steps} steps`);
const model = trainGpt(config, tokens, {
  ...TRAINING,
  steps,
  logEvery: 50,
  onProgress: (step, loss) =>
    console.error(
      `step ${step}/${steps}: loss ${loss.toFixed(3)} nats (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    ),
});
const heldOut = tokenizer.encode(corpus('heldOut'));
const loss = meanLoss(model, heldOut, 200);
console.log(
  `${parameterCount(model)} parameters; held-out loss ${loss.toFixed(4)} nats, perplexity ${Math.exp(loss).toFixed(3)} (float, 200 windows of ${config.context})`,
);
writeFileSync(GPT_MODEL_PATH, exportOnnx(model));
writeFileSync(TOKENIZER_PATH, `${JSON.stringify({ vocabulary: tokenizer.vocabulary })}\n`);
console.log(`wrote ${GPT_MODEL_PATH} and ${TOKENIZER_PATH}`);
