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

describe('the benchmarks’ large CNN', () => {
  it('runs bit-identically to the reference on the hot path and the trace path', async () => {
    const rng = new Random(11);
    const size = LARGE_CNN_INPUT.reduce((a, b) => a * b, 1);
    const images = () => Float32Array.from({ length: size }, () => rng.next());
    const { model } = importOnnx(largeCnnOnnx(), {
      calibration: [[images()]],
      batchSize: 1,
      label: 'large-cnn',
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
  });
});
