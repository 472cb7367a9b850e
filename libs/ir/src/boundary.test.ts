import { describe, expect, it } from 'vitest';
import { quantizeInput } from './boundary.js';
import { quantizeValue } from './fixed-point.js';
import { frac } from './graph/types.js';
import { sizeOf } from './tensor.js';
import { Random } from './testing/random.js';
import { randomGraph } from './testing/random-graph.js';

describe('quantizeInput', () => {
  it('gives quantizeValue of every value: ties rounded up, both ends saturated', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { model } = randomGraph(seed);
      const { graph } = model;
      const type = graph.nodeTypes[graph.inputs[0]!]!;
      const rng = new Random(seed);
      const step = 2 ** -frac(type);
      // Exact ties (k + 0.5 steps), values past either end, and arbitrary reals.
      const values = Array.from({ length: sizeOf(type.shape) }, (_, i) => {
        const k = rng.int(-70_000, 70_000);
        return i % 3 === 0 ? (k + 0.5) * step : i % 3 === 1 ? k * step * 1.37 : (rng.next() - 0.5) * 1e6;
      });
      const quantized = quantizeInput(graph, 0, values);
      expect(Array.from(quantized.data)).toEqual(values.map((v) => quantizeValue(v, frac(type), type.dtype)));
    }
  });

  it('names the input and the position of a value that is not a finite number', () => {
    const { graph } = randomGraph(1).model;
    const values = new Array(sizeOf(graph.nodeTypes[graph.inputs[0]!]!.shape)).fill(0);
    values[3] = Number.NaN;
    expect(() => quantizeInput(graph, 0, values)).toThrow(/value at 3 is not a finite number/);
  });
});
