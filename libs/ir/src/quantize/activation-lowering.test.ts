import { describe, expect, it } from 'vitest';
import { dequantizeOutput, quantizeInput } from '../boundary.js';
import { run } from '../interpreter.js';
import { createModel } from '../model.js';
import { runFloatGraph } from '../onnx/float-exec.js';
import type { FloatGraph, FloatTensor } from '../onnx/float-graph.js';
import { floatNode } from '../testing/float-node.js';
import { Random } from '../testing/random.js';
import { calibrate } from './calibrate.js';
import { lowerToIntegerGraph } from './lower.js';

const node = floatNode;
const scalar = (v: number): FloatTensor => ({ shape: [], data: Float64Array.of(v) });

/** x → Squeeze → Max(·, −0.5) → Min(1.5, ·) → Unsqueeze → Clip(0, 1.25) → Div 3 → HardSigmoid. */
function graph(): FloatGraph {
  const nodes = [
    node('Squeeze', ['x'], 'sq', { axes: [2] }),
    node('Max', ['sq', 'lo'], 'max'),
    node('Min', ['hi', 'max'], 'min'),
    node('Unsqueeze', ['min'], 'unsq', { axes: [0] }),
    node('Clip', ['unsq'], 'clip', { min: 0, max: 1.25 }),
    node('Div', ['clip', 'three'], 'div'),
    node('HardSigmoid', ['div'], 'hs', { alpha: 0.7, beta: 0.1 }),
  ];
  const constants = new Map([
    ['lo', scalar(-0.5)],
    ['hi', scalar(1.5)],
    ['three', scalar(3)],
  ]);
  const shapes = new Map<string, readonly number[]>([
    ['x', [2, 3, 1, 4]],
    ['sq', [2, 3, 4]],
    ['max', [2, 3, 4]],
    ['min', [2, 3, 4]],
    ['unsq', [1, 2, 3, 4]],
    ['clip', [1, 2, 3, 4]],
    ['div', [1, 2, 3, 4]],
    ['hs', [1, 2, 3, 4]],
    ['lo', []],
    ['hi', []],
    ['three', []],
  ]);
  return {
    name: 'activations',
    inputs: [{ name: 'x', shape: [2, 3, 1, 4] }],
    outputs: ['hs'],
    nodes,
    constants,
    shapes,
  };
}

describe('lowering Squeeze, Unsqueeze, Max/Min with a constant, Clip, Div by a constant and HardSigmoid', () => {
  it('gives integer outputs within a few output steps of the float graph', () => {
    const g = graph();
    const rng = new Random(4);
    const samples = Array.from({ length: 20 }, () => [
      Float64Array.from({ length: 24 }, () => rng.next() * 4 - 2),
    ]);
    for (const dtype of ['i8', 'i16'] as const) {
      const model = createModel(
        lowerToIntegerGraph(g, calibrate(g, samples), { activationDtype: dtype }),
        'act',
      );
      expect(new Set(model.graph.edgeOps)).toEqual(new Set(['Reshape', 'Clip', 'Mul', 'HardSigmoid']));
      const step = dtype === 'i8' ? 2 ** -5 : 2 ** -12;
      for (const [x] of samples) {
        const expected = runFloatGraph(g, [x!]).get('hs')!.data;
        const out = run(model, [quantizeInput(model.graph, 0, x!)]).outputs[0]!;
        const actual = dequantizeOutput(model.graph, 0, out);
        for (let i = 0; i < expected.length; i++)
          expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(step);
      }
    }
  });
});
