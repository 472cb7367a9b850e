import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { forward } from '../train/gpt.js';
import { allParams, type GptConfig, initGpt } from '../train/params.js';
import { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './onnx-export.js';

const CONFIG: GptConfig = { vocab: 11, context: 6, width: 8, heads: 2, layers: 2, hidden: 16 };

describe('GPT ONNX export', () => {
  it('onnxruntime computes the training code’s logits from the exported model', async () => {
    const model = initGpt(CONFIG, 5);
    for (const p of allParams(model))
      for (let i = 0; i < p.value.length; i++) p.value[i]! += 0.2 * Math.cos(3 * i + p.name.length);
    const tokens = [4, 0, 10, 3, 3, 7];
    const session = await ort.InferenceSession.create(exportOnnx(model));
    const feeds = { [ONNX_INPUT_NAME]: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, 6]) };
    const out = (await session.run(feeds))[ONNX_OUTPUT_NAME]!;
    expect(out.dims).toEqual([1, 6, 11]);
    const expected = forward(model, tokens).logits;
    const got = out.data as Float32Array;
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 4);
  });
});
