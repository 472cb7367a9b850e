import { readFileSync } from 'node:fs';
import { loadMnist, MNIST_MODELS } from '@stoa/example-mnist';
import {
  buildTrace,
  createHotPathBackend,
  createOnnxRuntimeBackend,
  execute,
  importOnnx,
  quantizeInput,
  run,
  toHex,
} from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { firstDifference } from './first-difference.js';
import { hotPathReceipt } from './hot-path.js';

const BATCH = 32;

/**
 * The benchmark's MNIST CNN at batch 32 (the batch-1 models are covered in examples/mnist):
 * every intermediate of the trace path and the hot path's outputs equal the reference's, the
 * trace path's trace root equals the reference execution's, and a hot-path receipt binds the
 * same input and output digests as the traced one.
 */
describe('the benchmarks’ MNIST CNN at batch 32', () => {
  it('runs bit-identically to the reference on the hot path and the trace path', async () => {
    const test = loadMnist('test');
    const images = (from: number) => test.images.slice(from * 784, (from + BATCH) * 784);
    const { model } = importOnnx(new Uint8Array(readFileSync(MNIST_MODELS.cnn)), {
      calibration: [[images(100)]],
      batchSize: BATCH,
      label: 'mnist-cnn-b32',
    });
    const hot = await createHotPathBackend(model);
    const traced = await createOnnxRuntimeBackend(model);
    try {
      const inputs = [quantizeInput(model.graph, 0, images(0))];
      const reference = run(model, inputs, { keepIntermediates: true });
      const { outputs, receipt } = await hotPathReceipt(model, hot, inputs, 1n);
      outputs.forEach((t, i) => {
        expect(firstDifference(t.data, reference.outputs[i]!.data), `output ${i}`).toBe(-1);
      });
      const values = (await traced.run(inputs)).values;
      for (const [n, expected] of reference.values!.entries())
        expect(firstDifference(values[n], expected), `node ${n}`).toBe(-1);

      const fast = await execute(model, inputs, { trace: true, backend: traced });
      const slow = buildTrace(model, reference.values!);
      expect(toHex(fast.trace!.traceRoot)).toBe(toHex(slow.traceRoot));
      expect(receipt.inputDigest).toBe(toHex(slow.inputDigest));
      expect(receipt.outputDigest).toBe(toHex(slow.outputDigest));
      expect([...hot.fallbackSteps, ...traced.fallbackSteps]).toEqual([]);
    } finally {
      await hot.close();
      await traced.close();
    }
  });
});
