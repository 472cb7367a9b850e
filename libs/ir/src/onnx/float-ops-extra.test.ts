import { describe, expect, it } from 'vitest';
import type { FloatNode, FloatTensor } from './float-graph.js';
import { EXTRA_FLOAT_OPS } from './float-ops-extra.js';
import { foldConstantNode } from './fold.js';

const node = (op: string, inputs: string[], attrs: FloatNode['attrs'] = {}): FloatNode => ({
  op,
  name: `${op}_0`,
  inputs,
  output: 'y',
  attrs,
});
const tensor = (shape: number[], data: number[]): FloatTensor => ({ shape, data: Float64Array.from(data) });

/** x = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] */
const x = tensor([3, 4], [...Array(12).keys()]);

function slice(inputs: (FloatTensor | undefined)[], attrs: FloatNode['attrs'] = {}): [number[], number[]] {
  const n = node(
    'Slice',
    inputs.map((_, i) => `in${i}`),
    attrs,
  );
  const shape = EXTRA_FLOAT_OPS.Slice!.shape(
    inputs.map((t) => t!.shape),
    n,
    inputs,
  ) as number[];
  return [shape, Array.from(EXTRA_FLOAT_OPS.Slice!.run(inputs as FloatTensor[], n, shape))];
}

describe('float semantics of the ops added for PP-OCR', () => {
  // ends −4 on a dim of 3 is −1, clamped to −1 for a negative step: row 0 is included.
  it('slices with attributes (opset < 10) and with constant inputs, negative indices, clamping and steps', () => {
    expect(slice([x], { starts: [1], ends: [100], axes: [0] })).toEqual([
      [2, 4],
      [4, 5, 6, 7, 8, 9, 10, 11],
    ]);
    const ints = (v: number[]) => tensor([v.length], v);
    expect(slice([x, ints([-1, 0]), ints([-4, 4]), ints([0, 1]), ints([-1, 2])])).toEqual([
      [3, 2],
      [8, 10, 4, 6, 0, 2],
    ]);
    expect(slice([x, ints([3]), ints([-100]), ints([1]), ints([-2])])).toEqual([
      [3, 2],
      [3, 1, 7, 5, 11, 9],
    ]);
  });

  it('clips by attributes or by constant inputs, and HardSigmoid clamps α·x + β to [0, 1]', () => {
    const v = tensor([4], [-3, 0.5, 2, 9]);
    const run = (op: string, n: FloatNode, inputs: FloatTensor[]) =>
      Array.from(EXTRA_FLOAT_OPS[op]!.run(inputs, n, [4]));
    expect(run('Clip', node('Clip', ['x'], { min: 0, max: 6 }), [v])).toEqual([0, 0.5, 2, 6]);
    expect(run('Clip', node('Clip', ['x', 'lo', 'hi']), [v, tensor([], [-1]), tensor([], [1])])).toEqual([
      -1, 0.5, 1, 1,
    ]);
    expect(run('HardSigmoid', node('HardSigmoid', ['x']), [v])).toEqual([0, 0.6, 0.9, 1]);
  });

  it('folds Shape from the fixed shape alone, and any node whose inputs are all constants', () => {
    const shapes = new Map([['x', [1, 8, 3, 4]]]);
    const shape = foldConstantNode(node('Shape', ['x']), [4], shapes, new Map());
    expect(Array.from(shape!.data)).toEqual([1, 8, 3, 4]);
    expect(foldConstantNode(node('Cast', ['x'], { to: 7 }), [4], shapes, new Map())).toBeUndefined();
    const folded = foldConstantNode(
      node('Cast', ['c'], { to: 7 }),
      [2],
      shapes,
      new Map([['c', tensor([2], [2.7, -2.7])]]),
    );
    expect(Array.from(folded!.data)).toEqual([2, -2]);
  });

  it('squeezes and unsqueezes by attribute or constant input, refusing axes that are not of size 1', () => {
    const shape = (op: string, inputs: (FloatTensor | undefined)[], attrs: FloatNode['attrs'] = {}) =>
      EXTRA_FLOAT_OPS[op]!.shape(
        inputs.map((t) => t!.shape),
        node(
          op,
          inputs.map((_, i) => `in${i}`),
          attrs,
        ),
        inputs,
      );
    const t = tensor([1, 3, 1, 2], Array(6).fill(0));
    expect(shape('Squeeze', [t], { axes: [-2] })).toEqual([1, 3, 2]);
    expect(shape('Squeeze', [t])).toEqual([3, 2]);
    expect(shape('Squeeze', [t, tensor([1], [1])])).toMatch(/not all of size 1/);
    expect(shape('Unsqueeze', [t, tensor([2], [0, -1])])).toEqual([1, 1, 3, 1, 2, 1]);
  });
});
