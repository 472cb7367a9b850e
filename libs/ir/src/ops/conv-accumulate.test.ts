import { describe, expect, it } from 'vitest';
import { quantizeInput } from '../boundary.js';
import { GraphBuilder } from '../graph/builder.js';
import { run } from '../interpreter.js';
import { createModel } from '../model.js';
import type { FloatGraph, FloatNode, FloatTensor } from '../onnx/float-graph.js';
import { calibrate } from '../quantize/calibrate.js';
import { type LowerOptions, lowerToIntegerGraph } from '../quantize/lower.js';
import { expectTilesEqualWholeOps } from '../testing/expect-tiles.js';
import { floatNode } from '../testing/float-node.js';
import { Random } from '../testing/random.js';
import { randomConvAccumulateGraph } from '../testing/random-conv-accumulate-graph.js';

/**
 * One float node over random weights, lowered with i16 activations whole and with `convSplit`:
 * the two edge-op lists, after checking that both give the same integers on 4 random inputs.
 */
function lowerWholeAndSplit(
  seed: number,
  node: FloatNode,
  shapes: { x: number[]; w: number[]; b: number[]; y: number[] },
  options: LowerOptions,
  convSplit: { minInputBytes: number; channels: number },
): [readonly string[], readonly string[]] {
  const rng = new Random(seed);
  const tensor = (shape: number[], scale: number): FloatTensor => ({
    shape,
    data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() * 2 - 1) * scale),
  });
  const g: FloatGraph = {
    name: `wide-${node.op}`,
    inputs: [{ name: 'x', shape: shapes.x }],
    outputs: ['y'],
    nodes: [node],
    constants: new Map([
      ['w', tensor(shapes.w, 0.1)],
      ['b', tensor(shapes.b, 0.3)],
    ]),
    shapes: new Map<string, readonly number[]>(Object.entries(shapes)),
  };
  const samples = Array.from({ length: 4 }, () => [tensor(shapes.x, 1).data]);
  const ranges = calibrate(g, samples);
  const lower = (split?: typeof convSplit) =>
    createModel(
      lowerToIntegerGraph(g, ranges, { ...options, activationDtype: 'i16', convSplit: split }),
      'split',
    );
  const [whole, split] = [lower(), lower(convSplit)];
  for (const [x] of samples) {
    const input = quantizeInput(whole.graph, 0, x!);
    expect(run(split, [input]).outputs[0]!.data).toEqual(run(whole, [input]).outputs[0]!.data);
  }
  return [whole.graph.edgeOps, split.graph.edgeOps];
}

describe('ConvAccumulate', () => {
  it("chained over input channels gives Conv's integers on 200 random graphs, and every tile equals the whole op", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { model, inputs } = randomConvAccumulateGraph(seed);
      const { outputs, values } = run(model, inputs, { keepIntermediates: true });
      expect(outputs[1]!.data, `seed ${seed}`).toEqual(outputs[0]!.data);
      if (seed <= 20) expectTilesEqualWholeOps(model, values!, `seed ${seed}`);
    }
  });

  it('carries a partial accumulator as limbs (⌊a / 2^16⌋, a mod 2^16), negative sums included', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i16', shape: [1, 2, 1, 2], frac: 0 });
    const w = b.param('w', { dtype: 'i16', shape: [1, 1, 1, 1], frac: 0 }, [-32768]);
    const first = b.op('ConvAccumulate', [x, w], {
      dtype: 'i32',
      frac: 0,
      attrs: { start: 1, requantize: 0 },
    });
    const w2 = b.param('w2', { dtype: 'i16', shape: [1, 1, 1, 1], frac: 0 }, [3]);
    b.output(first);
    b.output(
      b.op('ConvAccumulate', [x, w2, first], { dtype: 'i32', frac: 4, attrs: { start: 0, requantize: 1 } }),
    );
    const { outputs } = run(createModel(b.build(), 'limbs'), [
      { dtype: 'i16', shape: [1, 2, 1, 2], data: Int32Array.of(5, -7, 32767, -32768) },
    ]);
    // −32768·32767 = −1,073,709,056 = −16,384·2^16 + 32,768; −32768·−32768 = 2^30 = 16,384·2^16 + 0.
    expect(Array.from(outputs[0]!.data)).toEqual([-16384, 32768, 16384, 0]);
    // Conv's output at frac 4 from frac 0: the sums times 16, saturated to i32.
    expect(Array.from(outputs[1]!.data)).toEqual([-2147483648, 2147483647]);
  });

  it('names the attribute or input that does not fit', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i16', shape: [1, 4, 3, 3], frac: 2 });
    const w = b.param('w', { dtype: 'i16', shape: [2, 2, 1, 1], frac: 3 }, [1, 2, 3, 4]);
    expect(() =>
      b.op('ConvAccumulate', [x, w], { dtype: 'i32', frac: 0, attrs: { start: 3, requantize: 0 } }),
    ).toThrow(/input channels \[3, 5\) must lie within the input's 4/);
    expect(() =>
      b.op('ConvAccumulate', [x, w], { dtype: 'i32', frac: 2, attrs: { start: 0, requantize: 0 } }),
    ).toThrow(/limbs \(requantize 0\) must be i32 with frac 0/);
    const p = b.input('p', { dtype: 'i32', shape: [1, 2, 3, 2, 2], frac: 0 });
    expect(() =>
      b.op('ConvAccumulate', [x, w, p], { dtype: 'i16', frac: 4, attrs: { start: 0, requantize: 1 } }),
    ).toThrow(/previous accumulator must be \[1,2,3,3,2\]/);
  });

  it('is what the importer lowers a group-1 Conv to when its input is over convSplit.minInputBytes', () => {
    const node = floatNode('Conv', ['x', 'w', 'b'], 'y', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const shapes = { x: [1, 12, 24, 40], w: [6, 12, 3, 3], b: [6], y: [1, 6, 24, 40] };
    const [whole, split] = lowerWholeAndSplit(
      58,
      node,
      shapes,
      { convWeightDtype: 'i16' },
      { minInputBytes: 16 * 1024, channels: 2 },
    );
    expect(whole).toEqual(['Conv']);
    // 12 channels of 24 × 40 i16 = 22.5 KiB, over 16 KiB: 2 channels a link, 6 links.
    expect(split).toEqual(Array(6).fill('ConvAccumulate'));
  });
});

describe('ConvTransposeAccumulate', () => {
  it("chained over input channels gives ConvTranspose's integers on 150 random graphs, and every tile equals the whole op", () => {
    for (let seed = 1; seed <= 150; seed++) {
      const { model, inputs } = randomConvAccumulateGraph(seed, true);
      const { outputs, values } = run(model, inputs, { keepIntermediates: true });
      expect(model.graph.edgeOps.slice(1).every((op) => op === 'ConvTransposeAccumulate')).toBe(true);
      expect(outputs[1]!.data, `seed ${seed}`).toEqual(outputs[0]!.data);
      if (seed <= 20) expectTilesEqualWholeOps(model, values!, `seed ${seed}`);
    }
  });

  it('names the attribute or input that does not fit', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i16', shape: [1, 4, 3, 3], frac: 2 });
    const w = b.param(
      'w',
      { dtype: 'i8', shape: [2, 2, 2, 2], frac: 3 },
      Int32Array.from({ length: 16 }, (_, k) => k),
    );
    const attrs = { strides: [2, 2], pads: [0, 0, 0, 0] };
    expect(() =>
      b.op('ConvTransposeAccumulate', [x, w], {
        dtype: 'i32',
        frac: 0,
        attrs: { ...attrs, start: 3, requantize: 0 },
      }),
    ).toThrow(/input channels \[3, 5\) must lie within the input's 4/);
    const p = b.input('p', { dtype: 'i32', shape: [1, 2, 5, 6, 2], frac: 0 });
    expect(() =>
      b.op('ConvTransposeAccumulate', [x, w, p], {
        dtype: 'i16',
        frac: 4,
        attrs: { ...attrs, start: 0, requantize: 1 },
      }),
    ).toThrow(/previous accumulator must be \[1,2,6,6,2\]/);
  });

  it('is what the importer lowers a ConvTranspose to when its input is over convSplit.minInputBytes', () => {
    const node = floatNode('ConvTranspose', ['x', 'w', 'b'], 'y', { kernel_shape: [2, 2], strides: [2, 2] });
    const shapes = { x: [1, 12, 16, 24], w: [12, 5, 2, 2], b: [5], y: [1, 5, 32, 48] };
    const [whole, split] = lowerWholeAndSplit(59, node, shapes, {}, { minInputBytes: 8 * 1024, channels: 5 });
    expect(whole).toEqual(['ConvTranspose']);
    // 12 channels of 16 × 24 i16 = 9 KiB, over 8 KiB: 5 channels a link, 3 links (5, 5, 2).
    expect(split).toEqual(Array(3).fill('ConvTransposeAccumulate'));
  });
});
