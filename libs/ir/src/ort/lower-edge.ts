import { dtypeInfo } from '../dtype.js';
import { saturate } from '../fixed-point.js';
import {
  channelFrac,
  edgeInputsOf,
  edgeOutputsOf,
  frac,
  type Hypergraph,
  type TensorType,
} from '../graph/types.js';
import { hardSigmoidScales } from '../ops/activation.js';
import { intsAttr } from '../ops/op.js';
import { sizeOf } from '../tensor.js';
import type { OnnxGraphWriter } from './onnx-graph.js';

/** Shifts beyond these give the same saturated result (|x| < 2^47) and keep doubles exact. */
const MAX_LEFT = 32;
const MAX_RIGHT = 53;

/**
 * Emits `saturate(shiftRound(x, s))` on exact integer values held in doubles, s per element of
 * `shape` (broadcast): Floor((x + 2^(s−1)) · 2^−s). Every step is exact for |x| < 2^47: the
 * addition stays below 2^53 and scaling by a power of two never rounds. Doubles rather than
 * int64 because onnxruntime's int64 Div is a real division and several times slower.
 */
function requantize(
  w: OnnxGraphWriter,
  x: string,
  shifts: readonly number[],
  shape: readonly number[],
  out: TensorType,
): string {
  const clamped = shifts.map((s) => Math.max(-MAX_LEFT, Math.min(MAX_RIGHT, s)));
  let y = x;
  if (clamped.some((s) => s > 0))
    y = w.node('Add', [
      y,
      w.constant(
        'double',
        shape,
        clamped.map((s) => (s > 0 ? 2 ** (s - 1) : 0)),
      ),
    ]);
  if (clamped.some((s) => s !== 0))
    y = w.node('Mul', [
      y,
      w.constant(
        'double',
        shape,
        clamped.map((s) => 2 ** -s),
      ),
    ]);
  if (clamped.some((s) => s > 0)) y = w.node('Floor', [y]);
  const { min, max } = dtypeInfo(out.dtype);
  const clipped = w.node('Clip', [y, w.constant('double', [], [min]), w.constant('double', [], [max])]);
  return w.cast(clipped, 'int32');
}

/** Per-output-channel shifts for MatMul/Conv: accumulator frac (input + weight) − output frac. */
function channelShifts(x: TensorType, weights: TensorType, out: TensorType): number[] {
  return Array.from({ length: weights.shape[0]! }, (_, c) => frac(x) + channelFrac(weights, c) - frac(out));
}

/**
 * True when float32 arithmetic computes this accumulation exactly in any order: every term is
 * an integer and every partial sum is bounded by Σ|w|·max|x| < 2^24, so no addition rounds.
 * onnxruntime's float kernels are then bit-exact, and several times faster than its integer ones.
 */
export function float32Exact(weights: Int32Array, reduction: number, x: TensorType): boolean {
  const maxX = -dtypeInfo(x.dtype).min;
  for (let c = 0; c < weights.length; c += reduction) {
    let sum = 0;
    for (let k = c; k < c + reduction; k++) sum += Math.abs(weights[k]!);
    if (sum * maxX >= 2 ** 24) return false;
  }
  return true;
}

function transposed(weights: Int32Array, rows: number, cols: number): number[] {
  return Array.from({ length: rows * cols }, (_, i) => weights[(i % rows) * cols + Math.floor(i / rows)]!);
}

/**
 * Requantization of a float32 accumulator in float32, when exact: per channel
 * Σ|w|·max|x| + |bias| + 2^(s−1) < 2^24, so `Floor((acc + bias + 2^(s−1)) · 2^−s)` never rounds.
 * Half the memory traffic of the float64 path, on the largest tensors of a CNN. Returns
 * undefined when the bound does not hold (or the bias is computed), and the caller uses float64.
 */
function requantizeFloat32(
  w: OnnxGraphWriter,
  acc: string,
  weights: Int32Array,
  reduction: number,
  x: TensorType,
  bias: Int32Array | undefined | null,
  shifts: readonly number[],
  shape: readonly number[],
  out: TensorType,
): string | undefined {
  if (bias === null) return undefined;
  const maxX = -dtypeInfo(x.dtype).min;
  const clamped = shifts.map((s) => Math.max(-MAX_LEFT, Math.min(MAX_RIGHT, s)));
  const offsets = clamped.map((s, c) => (bias ? bias[c]! : 0) + (s > 0 ? 2 ** (s - 1) : 0));
  for (let c = 0; c < clamped.length; c++) {
    let sum = 0;
    for (let k = c * reduction; k < (c + 1) * reduction; k++) sum += Math.abs(weights[k]!);
    if (sum * maxX + Math.abs(offsets[c]!) >= 2 ** 24) return undefined;
  }
  let y = acc;
  if (offsets.some((v) => v !== 0)) y = w.node('Add', [y, w.constant('float', shape, offsets)]);
  if (clamped.some((s) => s !== 0))
    y = w.node('Mul', [
      y,
      w.constant(
        'float',
        shape,
        clamped.map((s) => 2 ** -s),
      ),
    ]);
  if (clamped.some((s) => s > 0)) y = w.node('Floor', [y]);
  const { min, max } = dtypeInfo(out.dtype);
  return w.cast(w.node('Clip', [y, w.constant('float', [], [min]), w.constant('float', [], [max])]), 'int32');
}

/** min(max(x, lo), hi) on an int32 value, bounds limited to the int32 range. */
function clampInt32(w: OnnxGraphWriter, x: string, lo: number, hi: number): string {
  const { min, max } = dtypeInfo('i32');
  const bound = (v: number) => w.constant('int32', [], [Math.max(min, Math.min(max, v))]);
  return w.node('Min', [w.node('Max', [x, bound(lo)]), bound(hi)]);
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
  const toDouble = (i: number) => w.cast(value(ins[i]!), 'double');
  const int8 = (i: number) => {
    const data = graph.params.get(ins[i]!);
    return data ? w.constant('int8', t[i]!.shape, data) : w.cast(value(ins[i]!), 'int8');
  };
  const addBias = (acc: string, bias: number | undefined, shape: number[]) =>
    bias === undefined
      ? acc
      : w.node('Add', [
          acc,
          w.cast(w.node('Reshape', [value(bias), w.constant('int64', [shape.length], shape)]), 'double'),
        ]);

  // A bias that is a parameter can be folded into the rounding constant; one that is computed cannot.
  const biasValues = (): Int32Array | undefined | null =>
    ins[2] === undefined ? undefined : (graph.params.get(ins[2]) ?? null);

  switch (op) {
    case 'MatMul': {
      if (t[0]!.dtype !== 'i8' || t[1]!.dtype !== 'i8')
        return { fallback: 'MatMulInteger needs i8 operands' };
      const [n, k] = t[1]!.shape as [number, number];
      const weights = graph.params.get(ins[1]!);
      const weightsKN = () =>
        weights
          ? w.constant('int8', [k, n], transposed(weights, n, k))
          : w.node('Transpose', [int8(1)], { perm: [1, 0] });
      const shifts = channelShifts(t[0]!, t[1]!, out);
      if (weights && float32Exact(weights, k, t[0]!)) {
        const acc = w.node('MatMul', [
          w.cast(value(ins[0]!), 'float'),
          w.constant('float', [k, n], transposed(weights, n, k)),
        ]);
        const fast = requantizeFloat32(w, acc, weights, k, t[0]!, biasValues(), shifts, [n], out);
        if (fast) return { output: fast };
        return { output: requantize(w, addBias(w.cast(acc, 'double'), ins[2], [n]), shifts, [n], out) };
      }
      const acc = w.cast(w.node('MatMulInteger', [int8(0), weightsKN()]), 'double');
      return { output: requantize(w, addBias(acc, ins[2], [n]), shifts, [n], out) };
    }
    case 'Conv': {
      if (t[0]!.dtype !== 'i8' || t[1]!.dtype !== 'i8') return { fallback: 'ConvInteger needs i8 operands' };
      const o = t[1]!.shape[0]!;
      const weights = graph.params.get(ins[1]!);
      const geometry = {
        strides: intsAttr(attrs, 'strides'),
        pads: intsAttr(attrs, 'pads'),
        dilations: intsAttr(attrs, 'dilations'),
        group: attrs.group as number,
        kernel_shape: t[1]!.shape.slice(2),
      };
      const shifts = channelShifts(t[0]!, t[1]!, out);
      const reduction = sizeOf(t[1]!.shape) / o;
      if (weights && float32Exact(weights, reduction, t[0]!)) {
        const acc = w.node(
          'Conv',
          [w.cast(value(ins[0]!), 'float'), w.constant('float', t[1]!.shape, weights)],
          geometry,
        );
        const fast = requantizeFloat32(
          w,
          acc,
          weights,
          reduction,
          t[0]!,
          biasValues(),
          shifts,
          [o, 1, 1],
          out,
        );
        if (fast) return { output: fast };
        return {
          output: requantize(w, addBias(w.cast(acc, 'double'), ins[2], [o, 1, 1]), shifts, [o, 1, 1], out),
        };
      }
      const acc = w.cast(w.node('ConvInteger', [int8(0), int8(1)], geometry), 'double');
      return { output: requantize(w, addBias(acc, ins[2], [o, 1, 1]), shifts, [o, 1, 1], out) };
    }
    case 'Add':
    case 'Sub': {
      const F = Math.max(frac(t[0]!), frac(t[1]!));
      const scaled = [0, 1].map((i) => {
        const s = F - frac(t[i]!);
        return s === 0 ? toDouble(i) : w.node('Mul', [toDouble(i), w.constant('double', [], [2 ** s])]);
      });
      return { output: requantize(w, w.node(op, scaled), [F - frac(out)], [], out) };
    }
    case 'Mul':
      return {
        output: requantize(
          w,
          w.node('Mul', [toDouble(0), toDouble(1)]),
          [frac(t[0]!) + frac(t[1]!) - frac(out)],
          [],
          out,
        ),
      };
    case 'Requantize':
      return { output: requantize(w, toDouble(0), [frac(t[0]!) - frac(out)], [], out) };
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
    case 'Clip':
      return {
        output: clampInt32(
          w,
          value(ins[0]!),
          saturate(attrs.min as number, out.dtype),
          saturate(attrs.max as number, out.dtype),
        ),
      };
    case 'HardSigmoid': {
      // α·x·sa + β·sb is an exact double (< 2^47); requantize rounds and saturates, the clamp to
      // [0, 2^fo] commutes with saturation (both are clamps to intervals holding 0).
      const { sa, sb, shift } = hardSigmoidScales(t[0]!, out);
      const affine = w.node('Add', [
        w.node('Mul', [toDouble(0), w.constant('double', [], [(attrs.alpha as number) * sa])]),
        w.constant('double', [], [(attrs.beta as number) * sb]),
      ]);
      return { output: clampInt32(w, requantize(w, affine, [shift], [], out), 0, 2 ** frac(out)) };
    }
    default:
      return {
        fallback: `no exact onnxruntime lowering for ${op} (its exp and rounding division run in the reference kernel)`,
      };
  }
}
