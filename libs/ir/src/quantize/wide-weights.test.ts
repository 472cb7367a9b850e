import { describe, expect, it } from 'vitest';
import { dequantizeOutput, quantizeInput } from '../boundary.js';
import { toHex } from '../commit/hash.js';
import { modelId } from '../encoding/codec.js';
import { edgeInputsOf } from '../graph/types.js';
import { run } from '../interpreter.js';
import { createModel, type Model } from '../model.js';
import { runFloatGraph } from '../onnx/float-exec.js';
import type { FloatGraph, FloatTensor } from '../onnx/float-graph.js';
import { createOnnxRuntimeBackend } from '../ort/backend.js';
import { floatNode } from '../testing/float-node.js';
import { Random } from '../testing/random.js';
import { calibrate } from './calibrate.js';
import { lowerToIntegerGraph } from './lower.js';

const rng = new Random(15);
const tensor = (shape: number[], scale: number): FloatTensor => ({
  shape,
  data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() * 2 - 1) * scale),
});

/** x → Conv 3×3 (group 1, 40 → 8, one bias of 4), both outputs → depthwise Conv 3×3 (group 8). */
function graph(): FloatGraph {
  const bias = tensor([8], 0.2);
  bias.data[3] = 4; // at i16 weights' frac this bias would not fit i32: its channel's frac is lowered
  return {
    name: 'wide-weights',
    inputs: [{ name: 'x', shape: [1, 40, 6, 6] }],
    outputs: ['conv', 'dw'],
    nodes: [
      floatNode('Conv', ['x', 'w', 'b'], 'conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      floatNode('Conv', ['conv', 'k'], 'dw', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }),
    ],
    constants: new Map([
      ['w', tensor([8, 40, 3, 3], 0.05)],
      ['b', bias],
      ['k', tensor([8, 1, 3, 3], 0.4)],
    ]),
    shapes: new Map<string, readonly number[]>([
      ['x', [1, 40, 6, 6]],
      ['conv', [1, 8, 6, 6]],
      ['dw', [1, 8, 6, 6]],
      ['w', [8, 40, 3, 3]],
      ['b', [8]],
      ['k', [8, 1, 3, 3]],
    ]),
  };
}

const weightDtypes = (model: Model) =>
  Array.from(model.schedule, (e) => model.graph.nodeTypes[[...edgeInputsOf(model.graph, e)][1]!]!.dtype);

describe("the importer's convWeightDtype: i16 weights for group-1 convolutions", () => {
  const g = graph();
  const samples = Array.from({ length: 8 }, () => [tensor([1440], 1).data]);
  const ranges = calibrate(g, samples);
  const lower = (convWeightDtype: 'i8' | 'i16') =>
    createModel(lowerToIntegerGraph(g, ranges, { activationDtype: 'i16', convWeightDtype }), 'wide');
  const [narrow, wide] = [lower('i8'), lower('i16')];

  it('gives group-1 convolutions i16 weights, keeps depthwise i8, and changes the modelId', () => {
    expect(weightDtypes(narrow)).toEqual(['i8', 'i8']);
    expect(weightDtypes(wide)).toEqual(['i16', 'i8']);
    expect(toHex(modelId(wide))).not.toBe(toHex(modelId(narrow)));
  });

  it('is closer to the float graph than i8 weights (the first conv), and bit-identical on onnxruntime without fallback', async () => {
    const error = (model: Model) => {
      let sum = 0;
      for (const [x] of samples) {
        const expected = runFloatGraph(g, [x!]).get('conv')!.data;
        const actual = dequantizeOutput(
          model.graph,
          0,
          run(model, [quantizeInput(model.graph, 0, x!)]).outputs[0]!,
        );
        for (let i = 0; i < expected.length; i++) sum += Math.abs(actual[i]! - expected[i]!);
      }
      return sum;
    };
    console.log(`|error| summed: i16 weights ${error(wide)}, i8 weights ${error(narrow)}`);
    expect(error(wide)).toBeLessThan(error(narrow) / 2);
    const backend = await createOnnxRuntimeBackend(wide, { log: () => {} });
    try {
      expect(backend.fallbackSteps).toEqual([]);
      for (const [x] of samples) {
        const inputs = [quantizeInput(wide.graph, 0, x!)];
        const reference = run(wide, inputs, { keepIntermediates: true }).values!;
        const fast = await backend.run(inputs);
        reference.forEach((v, n) => {
          expect(Array.from(fast.values[n]!)).toEqual(Array.from(v!));
        });
      }
    } finally {
      await backend.close();
    }
  });

  it('gives depthwise convolutions i16 weights with groupedWeightDtype, closer to float, bit-identical on onnxruntime', async () => {
    const both = createModel(
      lowerToIntegerGraph(g, ranges, {
        activationDtype: 'i16',
        convWeightDtype: 'i16',
        groupedWeightDtype: 'i16',
      }),
      'wide',
    );
    expect(weightDtypes(both)).toEqual(['i16', 'i16']);
    const dwError = (model: Model) => {
      let sum = 0;
      for (const [x] of samples) {
        const expected = runFloatGraph(g, [x!]).get('dw')!.data;
        const actual = dequantizeOutput(
          model.graph,
          1,
          run(model, [quantizeInput(model.graph, 0, x!)]).outputs[1]!,
        );
        for (let i = 0; i < expected.length; i++) sum += Math.abs(actual[i]! - expected[i]!);
      }
      return sum;
    };
    expect(dwError(both)).toBeLessThan(dwError(wide) / 2);
    const backend = await createOnnxRuntimeBackend(both, { log: () => {} });
    try {
      expect(backend.fallbackSteps).toEqual([]);
      for (const [x] of samples) {
        const inputs = [quantizeInput(both.graph, 0, x!)];
        const reference = run(both, inputs, { keepIntermediates: true }).values!;
        const fast = await backend.run(inputs);
        reference.forEach((v, n) => {
          expect(Array.from(fast.values[n]!)).toEqual(Array.from(v!));
        });
      }
    } finally {
      await backend.close();
    }
  });
});
