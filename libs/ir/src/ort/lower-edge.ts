import { dtypeInfo } from '../dtype.js';
import {
  channelFrac,
  edgeInputsOf,
  edgeOutputsOf,
  frac,
  type Hypergraph,
  type TensorType,
} from '../graph/types.js';
import { intsAttr } from '../ops/op.js';
import type { OnnxGraphWriter } from './onnx-graph.js';

/** Shift amounts beyond these give the same saturated result and keep int64 from overflowing. */
const MAX_LEFT = 32;
const MAX_RIGHT = 62;

/**
 * Emits `saturate(shiftRound(x, s))` on int64 values, s per element of `shape` (broadcast):
 * y = x·2^max(−s,0) + half; q = (y − Mod(y, 2^max(s,0))) / 2^max(s,0). ONNX Mod on integers
 * takes the divisor's sign, so y − Mod(y, d) is the exact multiple below y and Div is exact.
 */
function requantize(
  w: OnnxGraphWriter,
  x64: string,
  shifts: readonly number[],
  shape: readonly number[],
  out: TensorType,
): string {
  const clamped = shifts.map((s) => Math.max(-MAX_LEFT, Math.min(MAX_RIGHT, s)));
  let y = x64;
  if (clamped.some((s) => s < 0))
    y = w.node('Mul', [
      y,
      w.constant(
        'int64',
        shape,
        clamped.map((s) => 2 ** Math.max(-s, 0)),
      ),
    ]);
  if (clamped.some((s) => s > 0)) {
    const div = w.constant(
      'int64',
      shape,
      clamped.map((s) => 2 ** Math.max(s, 0)),
    );
    y = w.node('Add', [
      y,
      w.constant(
        'int64',
        shape,
        clamped.map((s) => (s > 0 ? 2 ** (s - 1) : 0)),
      ),
    ]);
    y = w.node('Div', [w.node('Sub', [y, w.node('Mod', [y, div], { fmod: 0 })]), div]);
  }
  const { min, max } = dtypeInfo(out.dtype);
  const clipped = w.node('Clip', [y, w.constant('int64', [], [min]), w.constant('int64', [], [max])]);
  return w.cast(clipped, 'int32');
}

/** Per-output-channel shifts for MatMul/Conv: accumulator frac (input + weight) − output frac. */
function channelShifts(x: TensorType, weights: TensorType, out: TensorType): number[] {
  return Array.from({ length: weights.shape[0]! }, (_, c) => frac(x) + channelFrac(weights, c) - frac(out));
}

export type EdgeLowering = { output: string } | { fallback: string };

/**
 * Lowers one IR edge to ONNX integer ops. `value(n)` names node n's int32 value in the graph
 * being written; `constant(n)` gives a parameter's values. Ops without an exact lowering here
 * report why, and the backend computes them with the reference kernel.
 */
export function lowerEdge(
  w: OnnxGraphWriter,
  graph: Hypergraph,
  edge: number,
  value: (node: number) => string,
): EdgeLowering {
  const op = graph.edgeOps[edge]!;
  const ins = [...edgeInputsOf(graph, edge)];
  const t = ins.map((n) => graph.nodeTypes[n]!);
  const out = graph.nodeTypes[edgeOutputsOf(graph, edge)[0]!]!;
  const attrs = graph.edgeAttrs[edge]!;
  const to64 = (i: number) => w.cast(value(ins[i]!), 'int64');
  const int8 = (i: number) => {
    const data = graph.params.get(ins[i]!);
    return data ? w.constant('int8', t[i]!.shape, data) : w.cast(value(ins[i]!), 'int8');
  };
  const addBias = (acc64: string, bias: number | undefined, shape: number[]) =>
    bias === undefined
      ? acc64
      : w.node('Add', [
          acc64,
          w.cast(w.node('Reshape', [value(bias), w.constant('int64', [shape.length], shape)]), 'int64'),
        ]);

  switch (op) {
    case 'MatMul': {
      if (t[0]!.dtype !== 'i8' || t[1]!.dtype !== 'i8')
        return { fallback: 'MatMulInteger needs i8 operands' };
      const [n, k] = t[1]!.shape as [number, number];
      const weights = graph.params.get(ins[1]!);
      const bT = weights
        ? w.constant(
            'int8',
            [k, n],
            Array.from({ length: k * n }, (_, i) => weights[(i % n) * k + Math.floor(i / n)]!),
          )
        : w.node('Transpose', [int8(1)], { perm: [1, 0] });
      const acc = w.cast(w.node('MatMulInteger', [int8(0), bT]), 'int64');
      const withBias = addBias(acc, ins[2], [n]);
      return { output: requantize(w, withBias, channelShifts(t[0]!, t[1]!, out), [n], out) };
    }
    case 'Conv': {
      if (t[0]!.dtype !== 'i8' || t[1]!.dtype !== 'i8') return { fallback: 'ConvInteger needs i8 operands' };
      const o = t[1]!.shape[0]!;
      const acc = w.cast(
        w.node('ConvInteger', [int8(0), int8(1)], {
          strides: intsAttr(attrs, 'strides'),
          pads: intsAttr(attrs, 'pads'),
          dilations: intsAttr(attrs, 'dilations'),
          group: attrs.group as number,
          kernel_shape: t[1]!.shape.slice(2),
        }),
        'int64',
      );
      const withBias = addBias(acc, ins[2], [o, 1, 1]);
      return { output: requantize(w, withBias, channelShifts(t[0]!, t[1]!, out), [o, 1, 1], out) };
    }
    case 'Add':
    case 'Sub': {
      const F = Math.max(frac(t[0]!), frac(t[1]!));
      const scaled = [0, 1].map((i) => {
        const s = F - frac(t[i]!);
        return s === 0 ? to64(i) : w.node('Mul', [to64(i), w.constant('int64', [], [2 ** s])]);
      });
      return { output: requantize(w, w.node(op, scaled), [F - frac(out)], [], out) };
    }
    case 'Mul':
      return {
        output: requantize(
          w,
          w.node('Mul', [to64(0), to64(1)]),
          [frac(t[0]!) + frac(t[1]!) - frac(out)],
          [],
          out,
        ),
      };
    case 'Requantize':
      return { output: requantize(w, to64(0), [frac(t[0]!) - frac(out)], [], out) };
    case 'Relu':
      return { output: w.node('Max', [value(ins[0]!), w.constant('int32', [], [0])]) };
    case 'MaxPool': {
      if (t[0]!.dtype !== 'i8') return { fallback: 'onnxruntime MaxPool has no int16/int32 kernel' };
      const pooled = w.node('MaxPool', [int8(0)], {
        kernel_shape: intsAttr(attrs, 'kernel_shape'),
        strides: intsAttr(attrs, 'strides'),
        pads: intsAttr(attrs, 'pads'),
      });
      return { output: w.cast(pooled, 'int32') };
    }
    case 'GlobalAveragePool': {
      const area = t[0]!.shape[2]! * t[0]!.shape[3]!;
      const sum = w.node('ReduceSum', [to64(0), w.constant('int64', [2], [2, 3])], { keepdims: 1 });
      // divRound(sum, area) = floor((2·sum + area) / (2·area))
      const num = w.node('Add', [
        w.node('Mul', [sum, w.constant('int64', [], [2])]),
        w.constant('int64', [], [area]),
      ]);
      const div = w.constant('int64', [], [2 * area]);
      return {
        output: w.cast(
          w.node('Div', [w.node('Sub', [num, w.node('Mod', [num, div], { fmod: 0 })]), div]),
          'int32',
        ),
      };
    }
    case 'Reshape':
      return {
        output: w.node('Reshape', [value(ins[0]!), w.constant('int64', [out.shape.length], out.shape)]),
      };
    case 'Transpose':
      return { output: w.node('Transpose', [value(ins[0]!)], { perm: intsAttr(attrs, 'perm') }) };
    case 'Concat':
      return { output: w.node('Concat', ins.map(value), { axis: attrs.axis as number }) };
    default:
      return {
        fallback: `no exact onnxruntime lowering for ${op} (its exp and rounding division run in the reference kernel)`,
      };
  }
}
