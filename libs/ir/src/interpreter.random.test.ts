import { describe, expect, it } from 'vitest';
import { dtypeInfo } from './dtype.js';
import { EXP_FRAC } from './fixed-point.js';
import { tilesOf } from './graph/tiles.js';
import { channelFrac, edgeInputsOf, edgeOutputsOf, type Hypergraph, type TensorType } from './graph/types.js';
import { executeTile, run } from './interpreter.js';
import type { FloatNode, FloatTensor } from './onnx/float-graph.js';
import { FLOAT_OPS } from './onnx/float-ops.js';
import { sizeOf } from './tensor.js';
import { randomGraph } from './testing/random-graph.js';

/** Documented bound on |expNeg(d, f) − 2^16·e^x| in Q16 units (docs/semantics.md). */
const EXP_ERROR_Q16 = 3;
const GRAPHS = 240;

function dequantize(type: TensorType, data: Int32Array, channelAxis?: number): FloatTensor {
  const shape = type.shape;
  const inner = channelAxis === undefined ? 1 : sizeOf(shape.slice(channelAxis + 1));
  const channels = channelAxis === undefined ? 1 : shape[channelAxis]!;
  return {
    shape,
    data: Float64Array.from(data, (q, i) => q * 2 ** -channelFrac(type, Math.floor(i / inner) % channels)),
  };
}

/** The float meaning of one integer edge, computed from its dequantized integer inputs. */
function floatReference(
  graph: Hypergraph,
  e: number,
  inputs: FloatTensor[],
  outShape: readonly number[],
): Float64Array {
  const op = graph.edgeOps[e]!;
  const attrs = graph.edgeAttrs[e]!;
  const node = (name: string, extra = {}): FloatNode => ({
    op: name,
    name: `e${e}`,
    inputs: [],
    output: '',
    attrs: { ...attrs, ...extra },
  });
  switch (op) {
    case 'MatMul': {
      const [a, w, bias] = inputs as [FloatTensor, FloatTensor, FloatTensor | undefined];
      const a2 = { shape: [sizeOf(a.shape) / a.shape.at(-1)!, a.shape.at(-1)!], data: a.data };
      return FLOAT_OPS.Gemm!.run(bias ? [a2, w, bias] : [a2, w], node('Gemm', { transB: 1 }), [
        a2.shape[0]!,
        w.shape[0]!,
      ]);
    }
    case 'Requantize':
    case 'Reshape':
      return inputs[0]!.data.slice();
    default:
      return FLOAT_OPS[op]!.run(inputs, node(op), outShape);
  }
}

/** Max allowed |integer − float| for one output value, per docs/semantics.md. */
function tolerance(op: string, out: TensorType, row: number): number {
  const half = 2 ** -(channelFrac(out, 0) + 1);
  const q16 = 2 ** -EXP_FRAC;
  switch (op) {
    case 'Relu':
    case 'MaxPool':
    case 'Reshape':
    case 'Transpose':
    case 'Concat':
      return 0;
    case 'Softmax':
      return half + EXP_ERROR_Q16 * (1 + row) * q16;
    case 'Sigmoid':
      return half + EXP_ERROR_Q16 * q16;
    case 'Tanh':
      return half + 2 * EXP_ERROR_Q16 * q16;
    default:
      return half;
  }
}

describe(`reference interpreter on ${GRAPHS} random graphs`, () => {
  it('matches an independent float computation of every edge within the documented bound', () => {
    const opsSeen = new Map<string, number>();
    for (let seed = 1; seed <= GRAPHS; seed++) {
      const { model, inputs } = randomGraph(seed);
      const { graph } = model;
      const { values } = run(model, inputs, { keepIntermediates: true });
      for (const e of model.schedule) {
        const ins = [...edgeInputsOf(graph, e)];
        const outNode = edgeOutputsOf(graph, e)[0]!;
        const outType = graph.nodeTypes[outNode]!;
        const floatIns = ins.map((n) =>
          dequantize(
            graph.nodeTypes[n]!,
            values![n]!,
            typeof graph.nodeTypes[n]!.frac === 'number' ? undefined : 0,
          ),
        );
        const expected = floatReference(graph, e, floatIns, outType.shape);
        const actual = dequantize(outType, values![outNode]!).data;
        const op = graph.edgeOps[e]!;
        const { min, max } = dtypeInfo(outType.dtype);
        const scale = 2 ** -channelFrac(outType, 0);
        const tol = tolerance(op, outType, outType.shape.at(-1)!) + 1e-12;
        for (let i = 0; i < actual.length; i++) {
          const clamped = Math.min(max * scale, Math.max(min * scale, expected[i]!));
          const error = Math.abs(actual[i]! - clamped);
          if (error > tol) {
            throw new Error(
              `seed ${seed} edge ${e} ${op} element ${i}: int ${actual[i]} vs float ${expected[i]} (error ${error} > ${tol})`,
            );
          }
        }
        opsSeen.set(op, (opsSeen.get(op) ?? 0) + 1);
      }
    }
    // The generator must actually exercise the whole op set.
    expect([...opsSeen.keys()].sort()).toEqual([
      'Add',
      'AveragePool',
      'Concat',
      'Conv',
      'GlobalAveragePool',
      'MatMul',
      'MaxPool',
      'Mul',
      'Relu',
      'Requantize',
      'Reshape',
      'Sigmoid',
      'Softmax',
      'Sub',
      'Tanh',
      'Transpose',
    ]);
  });

  it('computes every tile exactly as the whole op, and tiles cover each output once', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { model, inputs } = randomGraph(seed);
      const { graph } = model;
      const { values } = run(model, inputs, { keepIntermediates: true });
      for (const e of model.schedule) {
        const full = values![edgeOutputsOf(graph, e)[0]!]!;
        const ins = [...edgeInputsOf(graph, e)].map((n) => values![n]!);
        let next = 0;
        for (const tile of tilesOf(graph, e)) {
          expect(tile.start).toBe(next);
          next = tile.end;
          expect(executeTile(graph, e, ins, tile)).toEqual(full.slice(tile.start, tile.end));
        }
        expect(next).toBe(full.length);
      }
    }
  });
});
