import { describe, expect, it } from 'vitest';
import type { TensorType } from '../graph/types.js';
import { Random } from '../testing/random.js';
import { type WideMac, weightBytes, wideMacChunks } from './lower-wide-mac.js';

const input = (dtype: 'i8' | 'i16' | 'i32'): TensorType => ({ dtype, shape: [1, 1000], frac: 0 });

describe('the byte split of i16-weight MACs for onnxruntime', () => {
  it('splits every i16 weight as 256·high + low with low in [−128, 127]', () => {
    const all = Int32Array.from({ length: 65536 }, (_, i) => i - 32768);
    const { high, low } = weightBytes(all);
    const wrong = Array.from(all).filter(
      (w, i) => 256 * high[i]! + low[i]! !== w || low[i]! < -128 || low[i]! > 127 || Math.abs(high[i]!) > 128,
    );
    expect(wrong).toEqual([]);
  });

  it('cuts a wide reduction into contiguous chunks whose byte sums stay below 2^24', () => {
    const rng = new Random(5);
    const mac: WideMac = {
      op: 'MatMul',
      x: input('i16'),
      weights: rng.ints(3 * 1000, -32768, 32767),
      shape: [3, 1000],
      geometry: {},
    };
    const chunks = wideMacChunks(mac)!;
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(chunks[0]![0]).toBe(0);
    expect(chunks.at(-1)![1]).toBe(1000);
    const { high, low } = weightBytes(mac.weights);
    for (const [k, [start, end]] of chunks.entries()) {
      if (k > 0) expect(start).toBe(chunks[k - 1]![1]);
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let i = c * 1000 + start; i < c * 1000 + end; i++)
          sum += Math.max(Math.abs(high[i]!), Math.abs(low[i]!));
        expect(sum * 256).toBeLessThan(2 ** 24);
      }
    }
    // i8 inputs have half the magnitude: fewer chunks. An i32 input has no exact split.
    expect(wideMacChunks({ ...mac, x: input('i8') })!.length).toBeLessThan(chunks.length);
    expect(wideMacChunks({ ...mac, x: input('i32') })).toBeUndefined();
  });

  it('leaves a grouped convolution that needs several chunks to the reference kernel', () => {
    const rng = new Random(6);
    const conv: WideMac = {
      op: 'Conv',
      x: { dtype: 'i16', shape: [1, 2000, 3, 3], frac: 0 },
      weights: rng.ints(2 * 1000 * 9, -32768, 32767),
      shape: [2, 1000, 3, 3],
      geometry: { group: 2 },
    };
    expect(wideMacChunks(conv)).toBeUndefined();
    expect(
      wideMacChunks({ ...conv, geometry: { group: 1 }, x: { ...conv.x, shape: [1, 1000, 3, 3] } }),
    ).toBeDefined();
  });
});
