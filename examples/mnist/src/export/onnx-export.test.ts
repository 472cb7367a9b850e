import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadMnist, MNIST_PIXELS } from '../data/mnist.js';
import { MNIST_MODELS } from '../models.js';
import { argmaxRow } from '../train/evaluate.js';
import { createCnn, createMlp } from '../train/models.js';
import { mulberry32, normal, type Random } from '../train/random.js';
import type { Sequential } from '../train/sequential.js';
import { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './onnx-export.js';

const test = loadMnist('test');

async function runOnnx(
  bytes: Uint8Array,
  images: Float32Array,
  dims: readonly number[],
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const outputs = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', images, dims) });
    return outputs[ONNX_OUTPUT_NAME].data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Untrained BN layers are the identity; random statistics make the comparison exercise them. */
function randomizeBatchNorms(model: Sequential, random: Random): void {
  for (const layer of model.layers) {
    if (layer.kind !== 'batchnorm2d') continue;
    for (let c = 0; c < layer.channels; c++) {
      layer.scale.value[c] = 1 + 0.3 * normal(random);
      layer.shift.value[c] = 0.3 * normal(random);
      layer.runningMean[c] = 0.2 * normal(random);
      layer.runningVar[c] = 0.5 + random();
    }
  }
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('exportOnnx', () => {
  const batch = 8;
  const images = test.images.slice(0, batch * MNIST_PIXELS);

  it.each([
    ['mlp', () => createMlp(mulberry32(7))],
    ['cnn', () => createCnn(mulberry32(7))],
  ])('%s logits from onnxruntime match the TypeScript forward pass', async (_, create) => {
    const model = create();
    randomizeBatchNorms(model, mulberry32(8));
    const expected = model.predict(images, batch);
    const actual = await runOnnx(exportOnnx(model), images, [batch, ...model.inputShape]);
    expect(maxAbsDifference(actual, expected)).toBeLessThan(1e-4);
  });

  it('writes ir 8, opset 17, a symbolic batch dim and unique node names', () => {
    const decoded = onnxProto.onnx.ModelProto.decode(exportOnnx(createCnn(mulberry32(7))));
    expect(Number(decoded.irVersion)).toBe(8);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(decoded.producerName).toBe('stoa');
    const graph = decoded.graph!;
    const inputDims = graph.input![0].type!.tensorType!.shape!.dim!;
    expect(inputDims.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['N', 1, 28, 28]);
    expect(graph.output!.map((o) => o.name)).toEqual(['logits']);
    const names = graph.node!.map((n) => n.name);
    expect(new Set(names).size).toBe(names.length);
    expect(graph.node!.map((n) => n.opType)).toEqual([
      'Conv',
      'BatchNormalization',
      'Relu',
      'MaxPool',
      'Conv',
      'BatchNormalization',
      'Relu',
      'MaxPool',
      'Flatten',
      'Gemm',
      'Relu',
      'Gemm',
    ]);
  });
});

describe('committed models', () => {
  const count = 1000;
  const batch = 250;

  it.each([
    { kind: 'mlp', sampleShape: [MNIST_PIXELS] },
    { kind: 'cnn', sampleShape: [1, 28, 28] },
  ] as const)(
    'models/$kind.onnx reaches 96% on the first 1000 test images',
    async ({ kind, sampleShape }) => {
      const session = await ort.InferenceSession.create(readFileSync(MNIST_MODELS[kind]));
      let correct = 0;
      for (let start = 0; start < count; start += batch) {
        const images = test.images.slice(start * MNIST_PIXELS, (start + batch) * MNIST_PIXELS);
        const outputs = await session.run({
          input: new ort.Tensor('float32', images, [batch, ...sampleShape]),
        });
        const logits = outputs.logits.data as Float32Array;
        for (let n = 0; n < batch; n++)
          if (argmaxRow(logits, n * 10, 10) === test.labels[start + n]) correct++;
      }
      await session.release();
      expect(correct / count).toBeGreaterThanOrEqual(0.96);
    },
  );
});
