import { describe, expect, it } from 'vitest';
import { dequantizeOutput, quantizeInput } from '../boundary.js';
import { frac } from '../graph/types.js';
import { run } from '../interpreter.js';
import { createModel } from '../model.js';
import { runFloatGraph } from '../onnx/float-exec.js';
import type { FloatGraph, FloatNode } from '../onnx/float-graph.js';
import { EXTRA_FLOAT_OPS } from '../onnx/float-ops-extra.js';
import { fuseLayerNorms } from '../onnx/fuse-layer-norm.js';
import { floatNode } from '../testing/float-node.js';
import { Random } from '../testing/random.js';
import { calibrate } from './calibrate.js';
import { lowerToIntegerGraph } from './lower.js';

const node = floatNode;

/** x [1, 2, 5, 4] → scores = x · xᵀ [1, 2, 5, 5] → its mean over the last axis, and a block. */
function graph(): FloatGraph {
  return {
    name: 'attention',
    inputs: [{ name: 'x', shape: [1, 2, 5, 4] }],
    outputs: ['scores', 'mean', 'part', 'norm'],
    nodes: [
      node('Transpose', ['x'], 'xt', { perm: [0, 1, 3, 2] }),
      node('MatMul', ['x', 'xt'], 'scores'),
      node('ReduceMean', ['scores'], 'mean', { axes: [-1], keepdims: 1 }),
      node('Slice', ['scores'], 'part', { starts: [1, -2], ends: [4, 100], axes: [2, 3] }),
      // The layer norm PaddlePaddle writes out, over x's last axis.
      node('ReduceMean', ['x'], 'mu', { axes: [-1], keepdims: 1 }),
      node('Sub', ['x', 'mu'], 'd'),
      node('Pow', ['d', 'two'], 'sq'),
      node('ReduceMean', ['sq'], 'var', { axes: [-1], keepdims: 1 }),
      node('Add', ['var', 'eps'], 'vare'),
      node('Sqrt', ['vare'], 'sd'),
      node('Div', ['d', 'sd'], 'norm'),
    ],
    constants: new Map([
      ['two', { shape: [], data: Float64Array.of(2) }],
      ['eps', { shape: [], data: Float64Array.of(1e-5) }],
    ]),
    shapes: new Map<string, readonly number[]>([
      ...['mu', 'var', 'vare', 'sd'].map((n) => [n, [1, 2, 5, 1]] as const),
      ...['d', 'sq', 'norm'].map((n) => [n, [1, 2, 5, 4]] as const),
      ['x', [1, 2, 5, 4]],
      ['xt', [1, 2, 4, 5]],
      ['scores', [1, 2, 5, 5]],
      ['mean', [1, 2, 5, 1]],
      ['part', [1, 2, 3, 2]],
    ]),
  };
}

describe('lowering MatMul of two activations, ReduceMean, Slice and a written-out layer norm', () => {
  it('becomes BatchMatMul, ReduceMean, Slice and LayerNorm, within a few output steps of the float graph', () => {
    const g = fuseLayerNorms(graph());
    expect(g.nodes.filter((n) => n.op === 'LayerNorm')).toHaveLength(1);
    const rng = new Random(9);
    const samples = Array.from({ length: 12 }, () => [
      Float64Array.from({ length: 40 }, () => rng.next() * 4 - 2),
    ]);
    for (const dtype of ['i8', 'i16'] as const) {
      const model = createModel(
        lowerToIntegerGraph(g, calibrate(g, samples), { activationDtype: dtype }),
        'attention',
      );
      expect(new Set(model.graph.edgeOps)).toEqual(
        new Set(['Transpose', 'BatchMatMul', 'ReduceMean', 'Slice', 'LayerNorm']),
      );
      const inputStep = 2 ** -frac(model.graph.nodeTypes[model.graph.inputs[0]!]!);
      for (const [x] of samples) {
        const float = runFloatGraph(g, [x!]);
        const { outputs } = run(model, [quantizeInput(model.graph, 0, x!)]);
        for (const [k, name] of ['scores', 'mean', 'part', 'norm'].entries()) {
          const outStep = 2 ** -frac(model.graph.nodeTypes[model.graph.outputs[k]!]!);
          // Output rounding (twice for the mean), plus 4 products each off by ≤ 2·|x|·inputStep;
          // the norm is off by its rounding and by the input's (measured ≤ 2.5 input steps).
          const bound = name === 'norm' ? 2 * outStep + 4 * inputStep : 2 * outStep + 4 * 2 * 2 * inputStep;
          const actual = dequantizeOutput(model.graph, k, outputs[k]!);
          for (const [i, v] of float.get(name)!.data.entries())
            expect(Math.abs(actual[i]! - v)).toBeLessThan(bound);
        }
      }
    }
  });

  it('refuses a mean over any other axis or without keepdims, saying so', () => {
    const shape = (attrs: FloatNode['attrs']) =>
      EXTRA_FLOAT_OPS.ReduceMean!.shape([[2, 3, 4]], node('ReduceMean', ['x'], 'm', attrs), [undefined]);
    expect(shape({ axes: [2] })).toEqual([2, 3, 1]);
    expect(shape({ axes: [1] })).toMatch(/only a mean over the last axis/);
    expect(shape({ axes: [-1], keepdims: 0 })).toMatch(/keepdims = 1/);
  });
});
