import { createOnnxRuntimeBackend, type OnnxRuntimeBackend, referenceBackend } from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus } from './data/corpus.js';
import { generate } from './generate.js';
import { importGpt, tokensInput, trainingCalibration, windows } from './integer-model.js';
import { loadGptOnnx, loadTokenizer } from './models.js';
import { floatPerplexity, integerPerplexity } from './perplexity.js';

const tokenizer = loadTokenizer();
const onnx = loadGptOnnx();
const vocab = tokenizer.vocabulary.length;
const calibration = trainingCalibration(tokenizer);
const heldOut = windows(tokenizer.encode(corpus('heldOut')), 64, 6);
const result = importGpt(onnx, calibration);
let ortBackend: OnnxRuntimeBackend;

beforeAll(async () => {
  ortBackend = await createOnnxRuntimeBackend(result.model, { log: () => {} });
});
afterAll(async () => ortBackend.close());

describe('the committed GPT in the integer op set', () => {
  it('imports with Gather, CausalSoftmax, Gelu and LayerNorm', () => {
    const ops = new Set(result.model.graph.edgeOps);
    for (const op of ['Gather', 'CausalSoftmax', 'Gelu', 'LayerNorm', 'BatchMatMul'])
      expect(ops.has(op), op).toBe(true);
    expect(ops.has('Softmax')).toBe(false);
  });

  it('the onnxruntime backend is bit-identical to the reference interpreter', async () => {
    const reference = referenceBackend(result.model);
    for (const w of heldOut.slice(0, 1)) {
      const input = tokensInput(result.model, w.subarray(0, 64));
      const [a, b] = await Promise.all([reference.run([input]), ortBackend.run([input])]);
      expect(Buffer.from(b.outputs[0]!.data.buffer).equals(Buffer.from(a.outputs[0]!.data.buffer))).toBe(
        true,
      );
    }
  });

  it('integer perplexity is within 5% of float perplexity on held-out text', async () => {
    const float = await floatPerplexity(onnx, heldOut, vocab);
    const integer = await integerPerplexity(result.model, ortBackend, heldOut, vocab);
    expect(float.perplexity).toBeLessThan(16); // far below the 50-character vocabulary: it learned
    expect(Math.abs(integer.perplexity / float.perplexity - 1)).toBeLessThan(0.05);
  });

  it('greedy generation picks the same tokens on both backends', async () => {
    const options = { maxTokens: 3 };
    const prompt = 'the whale ';
    const a = await generate(result.model, referenceBackend(result.model), tokenizer, prompt, options);
    const b = await generate(result.model, ortBackend, tokenizer, prompt, options);
    expect(b.tokens).toEqual(a.tokens);
    expect(a.text).toHaveLength(3);
    expect(a.steps[0]!.position).toBe(prompt.length - 1);
    const stopped = await generate(result.model, ortBackend, tokenizer, prompt, {
      maxTokens: 3,
      stop: [a.text[1]!],
    });
    expect(stopped.finishReason).toBe('stop');
    const at = a.text.indexOf(a.text[1]!); // the stop text's first occurrence ends generation
    expect(stopped.text).toBe(a.text.slice(0, at));
    expect(stopped.tokens).toEqual(a.tokens.slice(0, at + 1));
  });
});
