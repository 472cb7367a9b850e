import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Tokenizer, tokenizerOf } from './data/tokenizer.js';
import type { GptConfig } from './train/params.js';

/** The committed model: trained by `npm run train -w @stoa/example-gpt` (seed 16). */
export const GPT_MODEL_PATH = fileURLToPath(new URL('../models/gpt.onnx', import.meta.url));
export const TOKENIZER_PATH = fileURLToPath(new URL('../models/tokenizer.json', import.meta.url));

/** About 110 K parameters: two blocks of width 64, four heads, a 64-character window. */
export function gptConfig(vocab: number): GptConfig {
  return { vocab, context: 64, width: 64, heads: 4, layers: 2, hidden: 256 };
}

export const TRAINING = { seed: 16, steps: 500, batch: 8, learningRate: 3e-3 } as const;

export function loadTokenizer(): Tokenizer {
  const { vocabulary } = JSON.parse(readFileSync(TOKENIZER_PATH, 'utf8')) as { vocabulary: string[] };
  return tokenizerOf(vocabulary);
}

export function loadGptOnnx(): Uint8Array {
  return readFileSync(GPT_MODEL_PATH);
}
