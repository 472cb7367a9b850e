import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createHotPathBackend,
  createOnnxRuntimeBackend,
  importOnnxFloat,
  modelId,
  quantizeInput,
  run,
  runFloatGraph,
  toHex,
} from '@stoa/ir';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadMnist } from './data/mnist.js';
import { digit, importMnistModel, inputShapeOf, measureAccuracy } from './evaluate.js';
import { MNIST_MODELS } from './models.js';

const HELD_OUT = 2000;
const execFileAsync = promisify(execFile);
const probe = fileURLToPath(new URL('./testing/inference-probe.ts', import.meta.url));

describe.each(['mlp', 'cnn'] as const)('MNIST %s', (kind) => {
  it(`keeps integer accuracy within 0.5 points of float accuracy on ${HELD_OUT} held-out digits`, async () => {
    const report = await measureAccuracy(kind, HELD_OUT);
    console.log(
      `${kind}: float ${(report.floatAccuracy * 100).toFixed(2)}%, integer ${(report.integerAccuracy * 100).toFixed(2)}% on ${HELD_OUT} digits`,
    );
    expect(report.floatAccuracy).toBeGreaterThan(0.96);
    expect(report.floatAccuracy - report.integerAccuracy).toBeLessThanOrEqual(0.005);
  });

  it('imports to a float graph that computes what onnxruntime computes', async () => {
    const bytes = new Uint8Array(readFileSync(MNIST_MODELS[kind]));
    const graph = importOnnxFloat(bytes);
    const session = await ort.InferenceSession.create(bytes);
    const test = loadMnist('test');
    for (let i = 0; i < 10; i++) {
      const image = digit(test, i);
      const ours = runFloatGraph(graph, [image]).get(graph.outputs[0]!)!.data;
      const result = await session.run({
        [session.inputNames[0]!]: new ort.Tensor('float32', image.slice(), inputShapeOf(kind)),
      });
      const theirs = result[session.outputNames[0]!]!.data as Float32Array;
      for (const [k, v] of theirs.entries()) expect(ours[k]).toBeCloseTo(v, 3);
    }
    await session.release();
  });

  it('gives the same modelId and byte-identical tensors in two separate processes', async () => {
    const runProbe = async () =>
      JSON.parse((await execFileAsync(process.execPath, ['--import', 'tsx', probe, kind])).stdout);
    // Side by side: each is seconds of CPU, and one after the other they took 25-30 s in CI.
    const probes = Promise.all([runProbe(), runProbe()]);
    const expectedId = toHex(modelId(importMnistModel(kind).model)); // meanwhile, in this process
    const [first, second] = await probes;
    expect(first.digests).toHaveLength(10);
    expect(second).toEqual(first);
    expect(first.modelId).toBe(expectedId);
  });

  it('changes modelId when one bit of one quantized weight flips', () => {
    const { model } = importMnistModel(kind);
    const [node, weights] = [...model.graph.params][0]!;
    const flipped = Int32Array.from(weights);
    flipped[0]! ^= 1;
    const params = new Map(model.graph.params).set(node, flipped);
    const changed = { ...model, graph: { ...model.graph, params } };
    expect(toHex(modelId(changed))).not.toBe(toHex(modelId(model)));
  });
});

describe.each(['mlp', 'cnn'] as const)('MNIST %s on the onnxruntime backend', (kind) => {
  it('computes every intermediate tensor bit-identically to the reference interpreter', async () => {
    const { model } = importMnistModel(kind);
    const backend = await createOnnxRuntimeBackend(model);
    const hot = await createHotPathBackend(model);
    const test = loadMnist('test');
    try {
      for (let i = 0; i < 20; i++) {
        const inputs = [quantizeInput(model.graph, 0, digit(test, i))];
        const fast = await backend.run(inputs);
        const reference = run(model, inputs, { keepIntermediates: true });
        for (const [n, expected] of reference.values!.entries())
          expect(fast.values[n], `digit ${i} node ${n}`).toEqual(expected);
        expect(
          (await hot.run(inputs)).map((t) => t.data),
          `hot path, digit ${i}`,
        ).toEqual(reference.outputs.map((t) => t.data));
      }
      expect(backend.fallbackSteps).toEqual([]);
      expect(hot.fallbackSteps).toEqual([]);
    } finally {
      await backend.close();
      await hot.close();
    }
  });
});
