import { dtypeInfo } from '../dtype.js';
import { saturate } from '../fixed-point.js';
import {
  type Attrs,
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
import { carrierOf } from './carrier.js';
import { lowerUpsample, UPSAMPLE_OPS, upsampleFallbackReason } from './lower-upsample.js';
import { lowerWideMac, type WideMac, wideMacChunks } from './lower-wide-mac.js';
import type { OnnxGraphWriter } from './onnx-graph.js';

/** Shifts beyond these give the same saturated result (|x| < 2^47) and keep doubles exact. */
const MAX_LEFT = 32;
const MAX_RIGHT = 53;
/** float32 holds every integer below this exactly; sums that stay below it never round. */
const FLOAT32_EXACT = 2 ** 24;
/** A wide reduction split into more float32 chunks than this runs on the integer kernels instead. */
const MAX_FLOAT_CHUNKS = 16;

const clampShift = (s: number) => Math.max(-MAX_LEFT, Math.min(MAX_RIGHT, s));
const half = (s: number) => (s > 0 ? 2 ** (s - 1) : 0);

/** Saturates a carrier value that holds integers already, and gives it the output's carrier. */
function saturateTo(w: OnnxGraphWriter, y: string, from: 'float' | 'double', out: TensorType): string {
  const { min, max } = dtypeInfo(out.dtype);
  const to = carrierOf(out.dtype);
  // float32 holds the i8/i16 bounds exactly but not 2^31 − 1: clip i32 in double.
  const clipIn = to === 'double' ? 'double' : from;
  const x = clipIn === from ? y : w.cast(y, clipIn);
  const clipped = w.node('Clip', [x, w.constant(clipIn, [], [min]), w.constant(clipIn, [], [max])]);
  return clipIn === to ? clipped : w.cast(clipped, to);
}

/**
 * Emits `saturate(shiftRound(x, s))` on exact integer values held in doubles, s per element of
 * `shape` (broadcast): Floor((x + 2^(s−1)) · 2^−s). Every step is exact for |x| < 2^47: the
 * addition stays below 2^53 and scaling by a power of two never rounds. Doubles rather than
 * int64 because onnxruntime's int64 Div is a real division and several times slower.
 */
export function requantize(
  w: OnnxGraphWriter,
  x: string,
  shifts: readonly number[],
  shape: readonly number[],
  out: TensorType,
): string {
  const clamped = shifts.map(clampShift);
  let y = x;
  if (clamped.some((s) => s > 0)) y = w.node('Add', [y, w.constant('double', shape, clamped.map(half))]);
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
  return saturateTo(w, y, 'double', out);
}

/** Per-output-channel shifts for MatMul/Conv: accumulator frac (input + weight) − output frac. */
export function channelShifts(x: TensorType, weights: TensorType, out: TensorType): number[] {
  return Array.from({ length: weights.shape[0]! }, (_, c) => frac(x) + channelFrac(weights, c) - frac(out));
}

/** Σ|w| over each output channel's `reduction` weights, times the input's largest magnitude. */
function channelBounds(weights: Int32Array, reduction: number, x: TensorType): number[] {
  const maxX = -dtypeInfo(x.dtype).min;
  return Array.from({ length: weights.length / reduction }, (_, c) => {
    let sum = 0;
    for (let k = c * reduction; k < (c + 1) * reduction; k++) sum += Math.abs(weights[k]!);
    return sum * maxX;
  });
}

/**
 * True when float32 arithmetic computes this accumulation exactly in any order: every term is
 * an integer and every partial sum is bounded by Σ|w|·max|x| < 2^24, so no addition rounds.
 * onnxruntime's float kernels are then bit-exact, and several times faster than its integer ones.
 */
export function float32Exact(weights: Int32Array, reduction: number, x: TensorType): boolean {
  return channelBounds(weights, reduction, x).every((b) => b < FLOAT32_EXACT);
}

function transposed(weights: ArrayLike<number>, rows: number, cols: number): number[] {
  return Array.from({ length: rows * cols }, (_, i) => weights[(i % rows) * cols + Math.floor(i / rows)]!);
}

/** The parameter weights of a MatMul/Conv, and what the float32 lowering needs to know about them. */
interface MacWeights {
  readonly values: Int32Array;
  readonly channels: number;
  readonly reduction: number;
  readonly shifts: number[];
  /** Each channel's constant term: a parameter bias plus the rounding half, undefined if computed. */
  readonly offsets: number[] | undefined;
  readonly bounds: number[];
}

/**
 * The scaled float32 form, when exact: per channel c, weights · 2^−s[c] and bias
 * (bias + 2^(s−1)) · 2^−s[c], so that the kernel's own output is (acc + bias + 2^(s−1)) · 2^−s
 * and only Floor and Clip remain. Scaling by a power of two never rounds, and every partial sum
 * is a multiple of 2^−s below 2^24 · 2^−s in magnitude, so it is exact in any summation order.
 */
function scaledFloat32(m: MacWeights): { weights: number[]; bias: number[]; floor: boolean } | undefined {
  if (!m.offsets) return undefined;
  const shifts = m.shifts.map(clampShift);
  const offsets = m.offsets;
  if (m.bounds.some((b, c) => b + Math.abs(offsets[c]!) >= FLOAT32_EXACT)) return undefined;
  const weights = Array.from(m.values, (v, i) => v * 2 ** -shifts[Math.floor(i / m.reduction)]!);
  return {
    weights,
    bias: offsets.map((o, c) => o * 2 ** -shifts[c]!),
    floor: shifts.some((s) => s > 0),
  };
}

/** min(max(x, lo), hi) on integers held in `out`'s carrier, bounds saturated to `out`'s dtype. */
function clampCarrier(
  w: OnnxGraphWriter,
  x: string,
  lo: number,
  hi: number,
  out: TensorType,
  to: 'float' | 'double' = carrierOf(out.dtype),
): string {
  const bound = (v: number) => w.constant(to, [], [saturate(v, out.dtype)]);
  return w.node('Min', [w.node('Max', [x, bound(lo)]), bound(hi)]);
}

/**
 * A reduction too wide for one float32 sum, split into chunks of the reduction axis that each
 * stay below 2^24 (every chunk exact), whose partial results are added in double (exact below
 * 2^53; the accumulator bound keeps them below 2^31). Undefined when that takes too many chunks.
 */
function chunkLength(m: MacWeights, x: TensorType): number | undefined {
  const maxX = -dtypeInfo(x.dtype).min;
  for (let chunks = 2; chunks <= MAX_FLOAT_CHUNKS; chunks++) {
    const length = Math.ceil(m.reduction / chunks);
    let fits = true;
    for (let c = 0; c < m.channels && fits; c++) {
      for (let start = 0; start < m.reduction && fits; start += length) {
        let sum = 0;
        const end = Math.min(m.reduction, start + length);
        for (let k = start; k < end; k++) sum += Math.abs(m.values[c * m.reduction + k]!);
        fits = sum * maxX < FLOAT32_EXACT;
      }
    }
    if (fits) return length;
  }
  return undefined;
}

/**
 * A value not yet rounded: the node's integers are `clip(floor(y), lo, hi)` (no floor when
 * `floor` is false), y a float32 carrier. Relu, MaxPool, Reshape and Transpose commute with that
 * monotone map (Relu raising `lo` to 0), so on the hot path they apply to y and the rounding runs
 * once, on the smaller tensor after pooling; Conv + Relu then fuse in onnxruntime as in a float
 * model.
 */
export interface Pending {
  readonly y: string;
  readonly floor: boolean;
  readonly lo: number;
  readonly hi: number;
}

export type EdgeLowering = { output: string } | { pending: Pending } | { fallback: string };

/** The integers a pending value stands for, in their float32 carrier. */
export function materialize(w: OnnxGraphWriter, p: Pending): string {
  const y = p.floor ? w.node('Floor', [p.y]) : p.y;
  return w.node('Clip', [y, w.constant('float', [], [p.lo]), w.constant('float', [], [p.hi])]);
}

const LOWERED_OPS = new Set([
  'MatMul',
  'Conv',
  'Add',
  'Sub',
  'Mul',
  'Requantize',
  'Relu',
  'MaxPool',
  'GlobalAveragePool',
  'Reshape',
  'Transpose',
  'Concat',
  'Clip',
  'HardSigmoid',
  'BatchMatMul',
  'ReduceMean',
  'Slice',
  'LayerNorm',
  'SegmentMax',
  'ConvAccumulate',
]);

/**
 * An i16 input times i8 parameter weights splits exactly into x = 256·hi + lo (hi in i8, lo in
 * [0, 255]): two float32 products, each exact while every channel's Σ|w|·256 < 2^24 — the
 * same as the int32 accumulator bound Σ|w|·2^15 < 2^31 that every valid edge meets already.
 */
function bytesFit(graph: Hypergraph, edge: number): boolean {
  const ins = [...edgeInputsOf(graph, edge)];
  const weights = graph.params.get(ins[1]!);
  if (!weights || graph.nodeTypes[ins[1]!]!.dtype !== 'i8') return false;
  const reduction = weights.length / graph.nodeTypes[ins[1]!]!.shape[0]!;
  return channelBounds(weights, reduction, { ...graph.nodeTypes[ins[0]!]!, dtype: 'i8' }).every(
    (b) => 2 * b < FLOAT32_EXACT,
  );
}

/** Why an edge has no exact onnxruntime lowering (it then runs on the reference kernel), if it has none. */
export function fallbackReason(graph: Hypergraph, edge: number): string | undefined {
  const op = graph.edgeOps[edge]!;
  if (UPSAMPLE_OPS.has(op)) return upsampleFallbackReason(graph, edge);
  if (!LOWERED_OPS.has(op))
    return `no exact onnxruntime lowering for ${op} (its exp and rounding division run in the reference kernel)`;
  if (op === 'ConvAccumulate' && !wideMacOf(graph, edge))
    return 'ConvAccumulate needs parameter weights in ≤ 32 exact float32 chunks';
  if (op === 'MatMul' || op === 'Conv') {
    const [x, wt] = [...edgeInputsOf(graph, edge)].map((n) => graph.nodeTypes[n]!);
    if (wt!.dtype === 'i16')
      return wideMacOf(graph, edge)
        ? undefined
        : `${op} with i16 weights needs i8/i16 input and parameter weights in ≤ 32 exact float32 chunks`;
    if (x!.dtype === 'i16' && bytesFit(graph, edge)) return undefined;
    if (x!.dtype !== 'i8' || wt!.dtype !== 'i8') return `${op}Integer needs i8 operands`;
  }
  return undefined;
}

/**
 * Lowers one IR edge to ONNX. Values travel between ops in a compact **carrier** type that holds
 * them exactly (float32 for i8/i16, double for i32; see carrier.ts); `value(n)` names node n's
 * carrier value in the graph being written. Ops without an exact lowering report why, and the
 * backend computes them with the reference kernel.
 */
export function lowerEdge(
  w: OnnxGraphWriter,
  graph: Hypergraph,
  edge: number,
  value: (node: number) => string,
  lazy?: (node: number) => Pending | undefined,
): EdgeLowering {
  const reason = fallbackReason(graph, edge);
  if (reason) return { fallback: reason };
  const op = graph.edgeOps[edge]!;
  const ins = [...edgeInputsOf(graph, edge)];
  const t = ins.map((n) => graph.nodeTypes[n]!);
  const out = graph.nodeTypes[edgeOutputsOf(graph, edge)[0]!]!;
  const attrs = graph.edgeAttrs[edge]!;
  const toDouble = (i: number) =>
    carrierOf(t[i]!.dtype) === 'double' ? value(ins[i]!) : w.cast(value(ins[i]!), 'double');
  const pending =
    op === 'Relu' || op === 'MaxPool' || op === 'Reshape' || op === 'Transpose' ? lazy?.(ins[0]!) : undefined;
  if (pending) return { pending: lowerOnPending(w, graph, edge, pending) };

  switch (op) {
    case 'MatMul':
    case 'Conv':
      return lowerMac(w, graph, macOperandsOf(graph, edge), value, lazy !== undefined);
    case 'ConvAccumulate':
      return { output: lowerConvAccumulate(w, graph, edge, value) };
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
      return { output: w.node('Max', [value(ins[0]!), w.constant(carrierOf(out.dtype), [], [0])]) };
    case 'MaxPool':
      return {
        output: w.node('MaxPool', [value(ins[0]!)], {
          kernel_shape: intsAttr(attrs, 'kernel_shape'),
          strides: intsAttr(attrs, 'strides'),
          pads: intsAttr(attrs, 'pads'),
        }),
      };
    case 'GlobalAveragePool': {
      const area = t[0]!.shape[2]! * t[0]!.shape[3]!;
      const sum = w.node('ReduceSum', [toDouble(0), w.constant('int64', [2], [2, 3])], { keepdims: 1 });
      return { output: saturateTo(w, divRoundBy(w, sum, area), 'double', out) };
    }
    case 'ReduceMean': {
      const sum = w.node('ReduceSum', [toDouble(0), w.constant('int64', [1], [-1])], { keepdims: 1 });
      return { output: saturateTo(w, divRoundBy(w, sum, t[0]!.shape.at(-1)!), 'double', out) };
    }
    case 'LayerNorm':
      return {
        output: saturateTo(w, layerNorm(w, toDouble(0), t[0]!.shape.at(-1)!, attrs, out), 'double', out),
      };
    case 'BatchMatMul':
      // Products below 2^30 and sums below 2^47 (checked at build time): exact in double.
      return {
        output: requantize(
          w,
          w.node('MatMul', [toDouble(0), toDouble(1)]),
          [frac(t[0]!) + frac(t[1]!) - frac(out)],
          [],
          out,
        ),
      };
    case 'Slice': {
      const [starts, ends] = [intsAttr(attrs, 'starts'), intsAttr(attrs, 'ends')];
      const axes = starts.map((_, d) => d);
      const ints = (v: readonly number[]) => w.constant('int64', [v.length], v);
      return { output: w.node('Slice', [value(ins[0]!), ints(starts), ints(ends), ints(axes)]) };
    }
    case 'SegmentMax':
      return {
        output: segmentMax(w, value(ins[0]!), t[0]!, Math.min(attrs.segment as number, t[0]!.shape.at(-1)!)),
      };
    case 'Reshape':
      return {
        output: w.node('Reshape', [value(ins[0]!), w.constant('int64', [out.shape.length], out.shape)]),
      };
    case 'Transpose':
      return { output: w.node('Transpose', [value(ins[0]!)], { perm: intsAttr(attrs, 'perm') }) };
    case 'Concat':
      return { output: w.node('Concat', ins.map(value), { axis: attrs.axis as number }) };
    case 'Clip': {
      const [lo, hi] = [attrs.min as number, attrs.max as number];
      if (carrierOf(t[0]!.dtype) === carrierOf(out.dtype))
        return { output: clampCarrier(w, value(ins[0]!), lo, hi, out) };
      // Clamped in double to the output's range, then exact in the output's carrier.
      return { output: w.cast(clampCarrier(w, toDouble(0), lo, hi, out, 'double'), carrierOf(out.dtype)) };
    }
    case 'HardSigmoid': {
      // α·x·sa + β·sb is an exact double (< 2^47); requantize rounds and saturates, the clamp to
      // [0, 2^fo] commutes with saturation (both are clamps to intervals holding 0).
      const { sa, sb, shift } = hardSigmoidScales(t[0]!, out);
      const affine = w.node('Add', [
        w.node('Mul', [toDouble(0), w.constant('double', [], [(attrs.alpha as number) * sa])]),
        w.constant('double', [], [(attrs.beta as number) * sb]),
      ]);
      return { output: clampCarrier(w, requantize(w, affine, [shift], [], out), 0, 2 ** frac(out), out) };
    }
    default:
      if (UPSAMPLE_OPS.has(op)) return lowerUpsample(w, graph, edge, value);
      return { fallback: `no exact onnxruntime lowering for ${op}` };
  }
}

/**
 * divRound(sum, count) = ⌊(2·sum + count) / (2·count)⌋ on a double of integers. The double
 * quotient of integers whose numerator is below 2^52 is never rounded onto the next integer,
 * so Floor of it is exact.
 */
/**
 * SegmentMax: the row padded with the dtype's minimum to J · S values (which moves no maximum),
 * seen as [..., J, S], and ReduceMax over the last axis. Exact: values are only compared.
 */
function segmentMax(w: OnnxGraphWriter, x: string, type: TensorType, segment: number): string {
  const L = type.shape.at(-1)!;
  const J = Math.ceil(L / segment);
  const rank = type.shape.length;
  const padded =
    J * segment === L
      ? x
      : w.node('Pad', [
          x,
          w.constant('int64', [2 * rank], [...Array(2 * rank - 1).fill(0), J * segment - L]),
          w.constant(carrierOf(type.dtype), [], [dtypeInfo(type.dtype).min]),
        ]);
  const shape = [...type.shape.slice(0, -1), J, segment];
  const rows = w.node('Reshape', [padded, w.constant('int64', [shape.length], shape)]);
  return w.node('ReduceMax', [rows], { axes: [-1], keepdims: 0 });
}

function divRoundBy(w: OnnxGraphWriter, sum: string, count: number): string {
  const num = w.node('Add', [
    w.node('Mul', [sum, w.constant('double', [], [2])]),
    w.constant('double', [], [count]),
  ]);
  return w.node('Floor', [w.node('Div', [num, w.constant('double', [], [2 * count])])]);
}

/**
 * LayerNorm's integers in double (all below 2^52, so every sum, product and floored quotient is
 * exact): S, d = L·x − S, n = ⌊(Σ d² + ε) / L⌋ = L·Σ x² − S² + ⌊ε / L⌋, s = isqrt(n) from the
 * double root corrected by one either way, then divRound(d · 2^fo, s).
 */
function layerNorm(w: OnnxGraphWriter, x: string, L: number, attrs: Attrs, out: TensorType): string {
  const num = (v: number) => w.constant('double', [], [v]);
  const lastAxis = w.constant('int64', [1], [-1]);
  const sum = w.node('ReduceSum', [x, lastAxis], { keepdims: 1 });
  const d = w.node('Sub', [w.node('Mul', [x, num(L)]), sum]);
  const squares = w.node('ReduceSum', [w.node('Mul', [x, x]), lastAxis], { keepdims: 1 });
  const n = w.node('Add', [
    w.node('Sub', [w.node('Mul', [squares, num(L)]), w.node('Mul', [sum, sum])]),
    num(Math.floor((attrs.epsilon as number) / L)),
  ]);
  const root = w.node('Floor', [w.node('Sqrt', [n])]);
  const below = w.node('Where', [
    w.node('Greater', [w.node('Mul', [root, root]), n]),
    w.node('Sub', [root, num(1)]),
    root,
  ]);
  const next = w.node('Add', [below, num(1)]);
  const s = w.node('Where', [w.node('Greater', [w.node('Mul', [next, next]), n]), below, next]);
  const scaled = w.node('Add', [w.node('Mul', [d, num(2 * 2 ** frac(out))]), s]);
  return w.node('Floor', [w.node('Div', [scaled, w.node('Mul', [s, num(2)])])]);
}

/** Relu, MaxPool, Reshape or Transpose applied to the unrounded value (see `Pending`). */
function lowerOnPending(w: OnnxGraphWriter, graph: Hypergraph, edge: number, p: Pending): Pending {
  const attrs = graph.edgeAttrs[edge]!;
  const out = graph.nodeTypes[edgeOutputsOf(graph, edge)[0]!]!;
  switch (graph.edgeOps[edge]) {
    case 'Relu':
      return { ...p, y: w.node('Relu', [p.y]), lo: Math.max(p.lo, 0) };
    case 'MaxPool':
      return {
        ...p,
        y: w.node('MaxPool', [p.y], {
          kernel_shape: intsAttr(attrs, 'kernel_shape'),
          strides: intsAttr(attrs, 'strides'),
          pads: intsAttr(attrs, 'pads'),
        }),
      };
    case 'Reshape':
      return { ...p, y: w.node('Reshape', [p.y, w.constant('int64', [out.shape.length], out.shape)]) };
    default:
      return { ...p, y: w.node('Transpose', [p.y], { perm: intsAttr(attrs, 'perm') }) };
  }
}

/**
 * An i16-weight MatMul/Conv, or a ConvAccumulate link of any weight dtype, with an exact
 * byte-split lowering (lower-wide-mac.ts), if it has one.
 */
function wideMacOf(
  graph: Hypergraph,
  edge: number,
): { mac: WideMac; chunks: [number, number][] } | undefined {
  const ins = [...edgeInputsOf(graph, edge)];
  const [x, wt] = [graph.nodeTypes[ins[0]!]!, graph.nodeTypes[ins[1]!]!];
  const weights = graph.params.get(ins[1]!);
  const edgeOp = graph.edgeOps[edge]!;
  if ((wt.dtype !== 'i16' && edgeOp !== 'ConvAccumulate') || !weights) return undefined;
  const op = edgeOp === 'MatMul' ? 'MatMul' : 'Conv';
  const mac: WideMac = { op, x, weights, shape: wt.shape, geometry: macGeometry(graph, edge) };
  const chunks = wideMacChunks(mac);
  return chunks ? { mac, chunks } : undefined;
}

/**
 * A run of input channels [start, start + mac.shape[1]) of a group-1 Conv's accumulation: one
 * ConvAccumulate link, or a whole chain of them fused on the hot path (conv-chain.ts).
 */
export interface Accumulation {
  readonly mac: WideMac;
  readonly chunks: [number, number][];
  /** The input x (all its channels) and the first input channel this accumulation reads. */
  readonly x: number;
  readonly start: number;
  /** The bias [O] or the previous link's limbs [N, O, Ho, Wo, 2], if any. */
  readonly previous: number | undefined;
  /** The weights' type whose per-channel fracs requantize (its values are `mac.weights`). */
  readonly weightType: TensorType;
  /** The limbs (frac 0, rank 5), or Conv's output when it requantizes. */
  readonly out: TensorType;
  readonly requantize: boolean;
}

/**
 * ConvAccumulate: its input channels sliced out of x, Σ x·w exact in double (lower-wide-mac.ts,
 * any weight dtype), then `accumulateOutput`.
 */
function lowerConvAccumulate(
  w: OnnxGraphWriter,
  graph: Hypergraph,
  edge: number,
  value: (node: number) => string,
): string {
  const { mac, chunks } = wideMacOf(graph, edge)!;
  const ins = [...edgeInputsOf(graph, edge)];
  const attrs = graph.edgeAttrs[edge]!;
  return lowerAccumulation(w, graph, value, {
    mac,
    chunks,
    x: ins[0]!,
    start: attrs.start as number,
    previous: ins[2],
    weightType: graph.nodeTypes[ins[1]!]!,
    out: graph.nodeTypes[edgeOutputsOf(graph, edge)[0]!]!,
    requantize: attrs.requantize === 1,
  });
}

/** Lowers an `Accumulation` (see `lowerConvAccumulate`). */
export function lowerAccumulation(
  w: OnnxGraphWriter,
  graph: Hypergraph,
  value: (node: number) => string,
  a: Accumulation,
): string {
  const x = inputChannels(w, value(a.x), a.mac.x.shape[1]!, a.start, a.mac.shape[1]!);
  return accumulateOutput(w, graph, value, lowerWideMac(w, a.mac, x, a.chunks), { ...a, xType: a.mac.x });
}

/** Input channels [start, start + c) of x (its carrier `x`, `channels` channels on axis 1). */
export function inputChannels(
  w: OnnxGraphWriter,
  x: string,
  channels: number,
  start: number,
  c: number,
): string {
  const ints = (v: readonly number[]) => w.constant('int64', [v.length], v);
  return start === 0 && c === channels
    ? x
    : w.node('Slice', [x, ints([start]), ints([start + c]), ints([1])]);
}

/**
 * A link's output from its sum `sum` (double, exact) over its channels (ConvAccumulate,
 * ConvTransposeAccumulate, a fused chain): plus the bias or the previous link's limbs
 * (hi · 2^16 + lo, exact below 2^53); then the whole op's requantization, or the limbs again:
 * hi = ⌊acc · 2^−16⌋ (a power of two: exact), lo = acc − 2^16 · hi, hi clipped to i32, stacked
 * on a last axis of 2.
 */
export function accumulateOutput(
  w: OnnxGraphWriter,
  graph: Hypergraph,
  value: (node: number) => string,
  sum: string,
  a: Pick<Accumulation, 'previous' | 'weightType' | 'out' | 'requantize'> & { readonly xType: TensorType },
): string {
  const { out } = a;
  const o = a.weightType.shape[0]!;
  const ints = (v: readonly number[]) => w.constant('int64', [v.length], v);
  let acc = sum;
  const limb = (v: number) => w.constant('double', [], [v]);
  if (a.previous !== undefined) {
    const p = graph.nodeTypes[a.previous]!;
    const previous = value(a.previous);
    if (p.shape.length === 1) {
      acc = w.node('Add', [acc, w.node('Reshape', [previous, ints([o, 1, 1])])]);
    } else {
      const part = (k: number) =>
        w.node('Reshape', [
          w.node('Slice', [previous, ints([k]), ints([k + 1]), ints([-1])]),
          ints(p.shape.slice(0, 4)),
        ]);
      acc = w.node('Add', [acc, w.node('Add', [w.node('Mul', [part(0), limb(2 ** 16)]), part(1)])]);
    }
  }
  if (a.requantize) return requantize(w, acc, channelShifts(a.xType, a.weightType, out), [o, 1, 1], out);
  const high = w.node('Floor', [w.node('Mul', [acc, limb(2 ** -16)])]);
  const low = w.node('Sub', [acc, w.node('Mul', [high, limb(2 ** 16)])]);
  const i32 = dtypeInfo('i32');
  const clipped = w.node('Clip', [high, limb(i32.min), limb(i32.max)]);
  const column = (v: string) => w.node('Reshape', [v, ints([...out.shape.slice(0, 4), 1])]);
  return w.node('Concat', [column(clipped), column(low)], { axis: -1 });
}

/** Conv's attributes as onnxruntime takes them (empty for MatMul). */
export function macGeometry(graph: Hypergraph, edge: number): Record<string, number | readonly number[]> {
  if (graph.edgeOps[edge] === 'MatMul') return {};
  const attrs = graph.edgeAttrs[edge]!;
  return {
    strides: intsAttr(attrs, 'strides'),
    pads: intsAttr(attrs, 'pads'),
    dilations: intsAttr(attrs, 'dilations'),
    group: (attrs.group as number | undefined) ?? 1, // ConvAccumulate: group 1
    kernel_shape: graph.nodeTypes[[...edgeInputsOf(graph, edge)][1]!]!.shape.slice(2),
  };
}

/**
 * A MatMul's or Conv's operands: an edge's (`macOperandsOf`), or a fused ConvAccumulate chain's
 * whole Conv (conv-chain.ts: its weights reassembled, no graph node of their own).
 */
export interface MacOperands {
  readonly op: 'MatMul' | 'Conv';
  readonly x: number;
  /** The weights' type, and their values when constant (else `weightNode` is read). */
  readonly weightType: TensorType;
  readonly weights?: Int32Array;
  readonly weightNode?: number;
  readonly bias?: number;
  readonly out: TensorType;
  readonly geometry: Record<string, number | readonly number[]>;
}

/** The operands of a MatMul or Conv edge. */
function macOperandsOf(graph: Hypergraph, edge: number): MacOperands {
  const ins = [...edgeInputsOf(graph, edge)];
  return {
    op: graph.edgeOps[edge] as 'MatMul' | 'Conv',
    x: ins[0]!,
    weightType: graph.nodeTypes[ins[1]!]!,
    weights: graph.params.get(ins[1]!),
    weightNode: ins[1]!,
    bias: ins[2],
    out: graph.nodeTypes[edgeOutputsOf(graph, edge)[0]!]!,
    geometry: macGeometry(graph, edge),
  };
}

/** MatMul and Conv: float32 kernels where exact, chunked float32 where that is, else integer kernels. */
export function lowerMac(
  w: OnnxGraphWriter,
  graph: Hypergraph,
  m: MacOperands,
  value: (node: number) => string,
  deferRounding: boolean,
): EdgeLowering {
  const { op, out, geometry } = m;
  const biasNode = m.bias;
  const [x, wt] = [graph.nodeTypes[m.x]!, m.weightType];
  const channels = wt.shape[0]!;
  const reduction = sizeOf(wt.shape) / channels;
  const shifts = channelShifts(x, wt, out);
  const biasShape = op === 'Conv' ? [channels, 1, 1] : [channels];
  const input = value(m.x);
  const int8Weights = () =>
    m.weights ? w.constant('int8', wt.shape, m.weights) : w.cast(value(m.weightNode!), 'int8');
  // Multiply-accumulate with float32 weights `values` in IR layout ([N, K] or [O, C, kh, kw]).
  const floatMac = (values: ArrayLike<number>, bias?: readonly number[], of = input) => {
    if (op === 'Conv') {
      const operands = [of, w.constant('float', wt.shape, values)];
      if (bias) operands.push(w.constant('float', [channels], bias));
      return w.node('Conv', operands, geometry);
    }
    const product = w.node('MatMul', [
      of,
      w.constant('float', [reduction, channels], transposed(values, channels, reduction)),
    ]);
    return bias ? w.node('Add', [product, w.constant('float', [channels], bias)]) : product;
  };
  // Adds a bias (parameter or computed) to a double accumulator and requantizes it in double.
  const finishDouble = (acc: string) => {
    const withBias =
      biasNode === undefined
        ? acc
        : w.node('Add', [
            acc,
            w.node('Reshape', [
              carrierOf(graph.nodeTypes[biasNode]!.dtype) === 'double'
                ? value(biasNode)
                : w.cast(value(biasNode), 'double'),
              w.constant('int64', [biasShape.length], biasShape),
            ]),
          ]);
    return { output: requantize(w, withBias, shifts, biasShape, out) };
  };

  const weights = m.weights;
  const wideMac: WideMac | undefined =
    wt.dtype === 'i16' && weights ? { op, x, weights, shape: wt.shape, geometry } : undefined;
  const wideChunks = wideMac && wideMacChunks(wideMac);
  if (wideMac && wideChunks) return finishDouble(lowerWideMac(w, wideMac, input, wideChunks));
  if (weights && x.dtype === 'i16') {
    // x = 256·hi + lo, both halves' products exact in float32 (bytesFit), summed in double.
    const byte = w.constant('float', [], [256]);
    const hi = w.node('Floor', [w.node('Div', [input, byte])]);
    const lo = w.node('Sub', [input, w.node('Mul', [hi, byte])]);
    const high = w.node('Mul', [
      w.cast(floatMac(weights, undefined, hi), 'double'),
      w.constant('double', [], [256]),
    ]);
    return finishDouble(w.node('Add', [high, w.cast(floatMac(weights, undefined, lo), 'double')]));
  }
  if (!weights) {
    const wKN = op === 'MatMul' ? w.node('Transpose', [int8Weights()], { perm: [1, 0] }) : int8Weights();
    const acc = w.node(`${op}Integer`, [w.cast(input, 'int8'), wKN], geometry);
    return finishDouble(w.cast(acc, 'double'));
  }
  const biasParam = biasNode === undefined ? undefined : graph.params.get(biasNode);
  const mac: MacWeights = {
    values: weights,
    channels,
    reduction,
    shifts,
    offsets:
      biasNode !== undefined && !biasParam
        ? undefined
        : shifts.map((s, c) => (biasParam ? biasParam[c]! : 0) + half(clampShift(s))),
    bounds: channelBounds(weights, reduction, x),
  };
  const scaled = scaledFloat32(mac);
  if (scaled) {
    const acc = floatMac(scaled.weights, scaled.bias.some((b) => b !== 0) ? scaled.bias : undefined);
    if (carrierOf(out.dtype) === 'float') {
      const { min, max } = dtypeInfo(out.dtype);
      const p = { y: acc, floor: scaled.floor, lo: min, hi: max };
      return deferRounding ? { pending: p } : { output: materialize(w, p) };
    }
    return { output: saturateTo(w, scaled.floor ? w.node('Floor', [acc]) : acc, 'float', out) };
  }
  if (mac.bounds.every((b) => b < FLOAT32_EXACT)) return finishDouble(w.cast(floatMac(weights), 'double'));
  const length = op === 'MatMul' ? chunkLength(mac, x) : undefined;
  if (length !== undefined) {
    const parts: string[] = [];
    for (let start = 0; start < reduction; start += length) {
      const end = Math.min(reduction, start + length);
      const slice = w.node('Slice', [
        input,
        w.constant('int64', [1], [start]),
        w.constant('int64', [1], [end]),
        w.constant('int64', [1], [-1]),
      ]);
      const chunk = Array.from({ length: (end - start) * channels }, (_, i) => {
        const [k, n] = [Math.floor(i / channels), i % channels];
        return weights[n * reduction + start + k]!;
      });
      parts.push(
        w.cast(w.node('MatMul', [slice, w.constant('float', [end - start, channels], chunk)]), 'double'),
      );
    }
    return finishDouble(w.node('Sum', parts));
  }
  const wKN =
    op === 'MatMul'
      ? w.constant('int8', [reduction, channels], transposed(weights, channels, reduction))
      : int8Weights();
  const acc = w.node(`${op}Integer`, [w.cast(input, 'int8'), wKN], geometry);
  return finishDouble(w.cast(acc, 'double'));
}
