import { describe, expect, it } from 'vitest';
import { dequantizeOutput, quantizeInput } from '../boundary.js';
import { GraphBuilder } from '../graph/builder.js';
import { run } from '../interpreter.js';
import { createModel } from '../model.js';
import { runFloatGraph } from '../onnx/float-exec.js';
import type { FloatGraph } from '../onnx/float-graph.js';
import { calibrate } from '../quantize/calibrate.js';
import { lowerToIntegerGraph } from '../quantize/lower.js';
import { expectTilesEqualWholeOps } from '../testing/expect-tiles.js';
import { floatNode } from '../testing/float-node.js';
import { Random } from '../testing/random.js';
import { randomSoftmaxSegmentsGraph } from '../testing/random-softmax-segments-graph.js';
import { SOFTMAX_SEGMENT } from './softmax-segments.js';

describe('SegmentMax, SoftmaxSegmentSum and SoftmaxNormalize', () => {
  it("give Softmax's integers on 200 random graphs, and every tile equals the whole op", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { model, inputs } = randomSoftmaxSegmentsGraph(seed);
      const { outputs, values } = run(model, inputs, { keepIntermediates: true });
      expect(outputs[2]!.data, `seed ${seed}`).toEqual(outputs[3]!.data);
      if (seed <= 15) expectTilesEqualWholeOps(model, values!, `seed ${seed}`);
    }
  });

  it('stay total on segment maxima and sums no execution produces', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [2, 5], frac: 2 });
    const m = b.input('m', { dtype: 'i8', shape: [2, 2], frac: 2 });
    const s = b.input('s', { dtype: 'i32', shape: [2, 2], frac: 16 });
    b.output(b.op('SoftmaxSegmentSum', [x, m], { dtype: 'i32', frac: 16, attrs: { segment: 3 } }));
    b.output(b.op('SoftmaxNormalize', [x, m, s], { dtype: 'i16', frac: 15 }));
    const model = createModel(b.build(), 'segments-total');
    const { outputs } = run(model, [
      { dtype: 'i8', shape: [2, 5], data: Int32Array.of(1, 2, 3, 4, 5, -1, 0, 1, 0, -1) },
      { dtype: 'i8', shape: [2, 2], data: Int32Array.of(0, 0, -128, -128) },
      { dtype: 'i32', shape: [2, 2], data: Int32Array.of(0, 0, -5, 2) },
    ]);
    // x − M > 0 counts as 0 (e = 1), and a sum below 1 counts as 1: saturated, not an error.
    expect(Array.from(outputs[0]!.data)).toEqual([3 * 65536, 2 * 65536, 3 * 65536, 2 * 65536]);
    expect(Array.from(outputs[1]!.data)).toEqual(Array(10).fill(32767));
  });

  it('name the input whose shape or type does not fit', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [2, 5], frac: 2 });
    const m = b.input('m', { dtype: 'i16', shape: [2, 2], frac: 2 });
    expect(() =>
      b.op('SoftmaxSegmentSum', [x, m], { dtype: 'i32', frac: 16, attrs: { segment: 3 } }),
    ).toThrow(/segment maxima must have the input's dtype and frac/);
    expect(() =>
      b.op('SoftmaxSegmentSum', [x, m], { dtype: 'i32', frac: 16, attrs: { segment: 2 } }),
    ).toThrow(/must have 3 segments/);
    expect(() => b.op('SegmentMax', [x], { attrs: { segment: 0 } })).toThrow(/segment 0 must be within/);
  });

  it(`are what the importer lowers a Softmax over rows past ${SOFTMAX_SEGMENT} to, within Softmax's bound of the float graph`, () => {
    const opsFor = (row: number) => {
      const g: FloatGraph = {
        name: 'softmax',
        inputs: [{ name: 'x', shape: [2, row] }],
        outputs: ['y'],
        nodes: [floatNode('Softmax', ['x'], 'y', { axis: -1 })],
        constants: new Map(),
        shapes: new Map([
          ['x', [2, row]],
          ['y', [2, row]],
        ]),
      };
      const rng = new Random(row);
      const samples = Array.from({ length: 4 }, () => [
        Float64Array.from({ length: 2 * row }, () => rng.next() * 16 - 8),
      ]);
      const model = createModel(
        lowerToIntegerGraph(g, calibrate(g, samples), { activationDtype: 'i16' }),
        'sm',
      );
      for (const [x] of samples) {
        const expected = runFloatGraph(g, [x!]).get('y')!.data;
        const actual = dequantizeOutput(
          model.graph,
          0,
          run(model, [quantizeInput(model.graph, 0, x!)]).outputs[0]!,
        );
        for (let i = 0; i < expected.length; i++)
          expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(2 ** -10);
      }
      return model.graph.edgeOps;
    };
    expect(opsFor(SOFTMAX_SEGMENT)).toEqual(['Softmax']);
    expect(opsFor(1_300)).toEqual(['SegmentMax', 'SoftmaxSegmentSum', 'SoftmaxNormalize']);
  });
});
