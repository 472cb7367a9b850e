import {
  createHotPathBackend,
  createOnnxRuntimeBackend,
  importOnnx,
  quantizeInput,
  Random,
  run,
} from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { firstDifference } from './first-difference.js';
import { LARGE_CNN_INPUT, largeCnnOnnx } from './large-cnn.js';

/**
 * Batch sizes to check: CI runs batch 1; `STOA_LARGE_CNN_BATCHES=1,32` adds batch 32 (minutes on
 * the reference interpreter; its run is recorded in BENCHMARKS.md).
 */
const BATCHES = (process.env.STOA_LARGE_CNN_BATCHES ?? '1').split(',').map(Number);

describe.each(BATCHES)('the benchmarks’ large CNN at batch %i', (batch) => {
  it('runs bit-identically to the reference on the hot path and the trace path', async () => {
    const rng = new Random(11);
    const size = batch * LARGE_CNN_INPUT.reduce((a, b) => a * b, 1);
    const images = () => Float32Array.from({ length: size }, () => rng.next());
    const { model } = importOnnx(largeCnnOnnx(), {
      calibration: [[images()]],
      batchSize: batch,
      label: `large-cnn-b${batch}`,
    });
    const hot = await createHotPathBackend(model);
    const traced = await createOnnxRuntimeBackend(model);
    try {
      for (let i = 0; i < 1; i++) {
        const inputs = [quantizeInput(model.graph, 0, images())];
        const reference = run(model, inputs, { keepIntermediates: true });
        (await hot.run(inputs)).forEach((t, k) => {
          expect(firstDifference(t.data, reference.outputs[k]!.data), `output ${k}`).toBe(-1);
        });
        const values = (await traced.run(inputs)).values;
        for (const [n, expected] of reference.values!.entries())
          expect(firstDifference(values[n], expected), `node ${n}`).toBe(-1);
      }
      expect([...hot.fallbackSteps, ...traced.fallbackSteps]).toEqual([]);
    } finally {
      await hot.close();
      await traced.close();
    }
  }, 600_000);
});
