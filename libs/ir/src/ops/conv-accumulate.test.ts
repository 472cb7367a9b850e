import { describe, expect, it } from 'vitest';
import { quantizeInput } from '../boundary.js';
import { GraphBuilder } from '../graph/builder.js';
import { run } from '../interpreter.js';
import { createModel } from '../model.js';
import type { FloatGraph, FloatTensor } from '../onnx/float-graph.js';
import { calibrate } from '../quantize/calibrate.js';
import { lowerToIntegerGraph } from '../quantize/lower.js';
import { expectTilesEqualWholeOps } from '../testing/expect-tiles.js';
import { floatNode } from '../testing/float-node.js';
import { Random } from '../testing/random.js';
import { randomConvAccumulateGraph } from '../testing/random-conv-accumulate-graph.js';

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
    const rng = new Random(58);
    const tensor = (shape: number[], scale: number): FloatTensor => ({
      shape,
      data: Float64Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => (rng.next() * 2 - 1) * scale,
      ),
    });
    const g: FloatGraph = {
      name: 'wide-conv',
      inputs: [{ name: 'x', shape: [1, 12, 24, 40] }],
      outputs: ['y'],
      nodes: [floatNode('Conv', ['x', 'w', 'b'], 'y', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })],
      constants: new Map([
        ['w', tensor([6, 12, 3, 3], 0.1)],
        ['b', tensor([6], 0.3)],
      ]),
      shapes: new Map<string, readonly number[]>([
        ['x', [1, 12, 24, 40]],
        ['y', [1, 6, 24, 40]],
        ['w', [6, 12, 3, 3]],
        ['b', [6]],
      ]),
    };
    const samples = Array.from({ length: 4 }, () => [tensor([1, 12, 24, 40], 1).data]);
    const ranges = calibrate(g, samples);
    const lower = (convSplit?: { minInputBytes: number; channels: number }) =>
      createModel(
        lowerToIntegerGraph(g, ranges, { activationDtype: 'i16', convWeightDtype: 'i16', convSplit }),
        'split',
      );
    const [whole, split] = [lower(), lower({ minInputBytes: 16 * 1024, channels: 2 })];
    expect(whole.graph.edgeOps).toEqual(['Conv']);
    // 12 channels of 24 × 40 i16 = 22.5 KiB, over 16 KiB: 2 channels a link, 6 links.
    expect(split.graph.edgeOps).toEqual(Array(6).fill('ConvAccumulate'));
    for (const [x] of samples) {
      const input = quantizeInput(whole.graph, 0, x!);
      expect(run(split, [input]).outputs[0]!.data).toEqual(run(whole, [input]).outputs[0]!.data);
    }
  });
});
