import { broadcastIndexer, broadcastShapes } from '../ops/broadcast.js';
import { sizeOf, stridesOf } from '../tensor.js';
import type { FloatNode, FloatTensor } from './float-graph.js';
import { elementwise, type FloatOp } from './float-op.js';

/**
 * Float semantics of the ONNX ops added for PaddleOCR's models (float64): activations, Div, and
 * the shape ops that import-time folding evaluates (Shape, Cast, Slice).
 */

function numberAttr(node: FloatNode, key: string, fallback: number): number {
  const v = node.attrs[key];
  return typeof v === 'number' ? v : fallback;
}

/** Clip's bounds: attributes before opset 11, constant inputs 1 and 2 from opset 11. */
export function clipBounds(
  node: FloatNode,
  constants: readonly (FloatTensor | undefined)[],
): { lo: number; hi: number } | string {
  if (node.inputs.length === 1) {
    return {
      lo: numberAttr(node, 'min', Number.NEGATIVE_INFINITY),
      hi: numberAttr(node, 'max', Number.POSITIVE_INFINITY),
    };
  }
  const [, lo, hi] = constants;
  if (!lo || (node.inputs.length > 2 && !hi)) return 'min and max must be constants';
  return { lo: lo.data[0]!, hi: hi ? hi.data[0]! : Number.POSITIVE_INFINITY };
}

const clip: FloatOp = {
  shape([x], node, constants) {
    const bounds = clipBounds(node, constants);
    return typeof bounds === 'string' ? bounds : [...x!];
  },
  run(inputs, node) {
    const bounds = clipBounds(node, inputs) as { lo: number; hi: number };
    return inputs[0]!.data.map((v) => Math.min(Math.max(v, bounds.lo), bounds.hi));
  },
};

const div: FloatOp = {
  shape: ([a, b]) => broadcastShapes(a!, b!),
  run([a, b], _node, outShape) {
    const ia = broadcastIndexer(a!.shape, outShape);
    const ib = broadcastIndexer(b!.shape, outShape);
    return Float64Array.from({ length: sizeOf(outShape) }, (_, i) => a!.data[ia(i)]! / b!.data[ib(i)]!);
  },
};

const hardSigmoid: FloatOp = {
  shape: ([x]) => [...x!],
  run([x], node) {
    const alpha = numberAttr(node, 'alpha', 0.2);
    const beta = numberAttr(node, 'beta', 0.5);
    return x!.data.map((v) => Math.min(Math.max(alpha * v + beta, 0), 1));
  },
};

interface SliceSpec {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

/** Slice's parameters: attributes before opset 10, constant inputs 1..4 from opset 10. */
function sliceSpec(
  node: FloatNode,
  rank: number,
  constants: readonly (FloatTensor | undefined)[],
): SliceSpec | string {
  const fromInput = (i: number) => (constants[i] ? Array.from(constants[i]!.data) : undefined);
  const attrList = (key: string) => {
    const v = node.attrs[key];
    return Array.isArray(v) ? [...v] : undefined;
  };
  const byInputs = node.inputs.length > 1;
  if (byInputs && node.inputs.slice(1).some((_, k) => !constants[k + 1]))
    return 'starts, ends, axes and steps must be constants';
  const starts = (byInputs ? fromInput(1) : attrList('starts')) ?? [];
  const ends = (byInputs ? fromInput(2) : attrList('ends')) ?? [];
  const axes = ((byInputs ? fromInput(3) : attrList('axes')) ?? starts.map((_, i) => i)).map(
    (a) => (a + rank) % rank,
  );
  const steps = (byInputs ? fromInput(4) : undefined) ?? starts.map(() => 1);
  if (starts.length !== ends.length || axes.length !== starts.length || steps.length !== starts.length)
    return 'starts, ends, axes and steps differ in length';
  if (steps.some((s) => s === 0)) return 'a step of 0 is invalid';
  return { starts, ends, axes, steps };
}

/** Per axis: the first index, the step and the count, with ONNX's clamping of starts and ends. */
function sliceRanges(shape: readonly number[], spec: SliceSpec) {
  const ranges = shape.map((d) => ({ first: 0, step: 1, count: d }));
  spec.axes.forEach((axis, k) => {
    const d = shape[axis]!;
    const step = spec.steps[k]!;
    const norm = (v: number) => (v < 0 ? v + d : v);
    const lo = step > 0 ? 0 : -1;
    const hi = step > 0 ? d : d - 1;
    const start = Math.min(Math.max(norm(spec.starts[k]!), lo), hi);
    const end = Math.min(Math.max(norm(spec.ends[k]!), lo), hi);
    const count = Math.max(0, Math.ceil((end - start) / step));
    ranges[axis] = { first: start, step, count };
  });
  return ranges;
}

/**
 * The first index per axis of a Slice with step 1 on every axis (what the integer `Slice` op
 * takes), or why it cannot be one.
 */
export function sliceStarts(
  node: FloatNode,
  shape: readonly number[],
  constants: readonly (FloatTensor | undefined)[],
): number[] | string {
  const spec = sliceSpec(node, shape.length, constants);
  if (typeof spec === 'string') return spec;
  if (spec.steps.some((s) => s !== 1)) return 'only slices with step 1 are supported on activations';
  return sliceRanges(shape, spec).map((r) => r.first);
}

const slice: FloatOp = {
  shape([x], node, constants) {
    const spec = sliceSpec(node, x!.length, constants);
    if (typeof spec === 'string') return spec;
    return sliceRanges(x!, spec).map((r) => r.count);
  },
  run(inputs, node, outShape) {
    const x = inputs[0]!;
    const ranges = sliceRanges(x.shape, sliceSpec(node, x.shape.length, inputs) as SliceSpec);
    const inStrides = stridesOf(x.shape);
    const outStrides = stridesOf(outShape);
    return Float64Array.from({ length: sizeOf(outShape) }, (_, i) => {
      let src = 0;
      let rest = i;
      outShape.forEach((_d, axis) => {
        const coord = Math.floor(rest / outStrides[axis]!);
        rest -= coord * outStrides[axis]!;
        src += (ranges[axis]!.first + coord * ranges[axis]!.step) * inStrides[axis]!;
      });
      return x.data[src]!;
    });
  },
};

/** Squeeze/Unsqueeze axes: attribute before opset 13, constant input 1 from opset 13. */
function axesOf(node: FloatNode, constants: readonly (FloatTensor | undefined)[]): number[] | undefined {
  if (node.inputs.length > 1) return constants[1] ? Array.from(constants[1].data) : undefined;
  const v = node.attrs.axes;
  return Array.isArray(v) ? [...v] : [];
}

const copy = (inputs: readonly FloatTensor[]) => inputs[0]!.data.slice();

const squeeze: FloatOp = {
  shape([x], node, constants) {
    const axes = axesOf(node, constants);
    if (!axes) return 'axes must be a constant';
    const drop = new Set(axes.map((a) => (a + x!.length) % x!.length));
    if (axes.length === 0) return x!.filter((d) => d !== 1);
    if ([...drop].some((a) => x![a] !== 1)) return `axes [${axes.join(',')}] are not all of size 1`;
    return x!.filter((_, i) => !drop.has(i));
  },
  run: copy,
};

const unsqueeze: FloatOp = {
  shape([x], node, constants) {
    const axes = axesOf(node, constants);
    if (!axes || axes.length === 0) return 'axes must be a non-empty constant';
    const rank = x!.length + axes.length;
    const added = new Set(axes.map((a) => (a + rank) % rank));
    const rest = [...x!];
    return Array.from({ length: rank }, (_, i) => (added.has(i) ? 1 : rest.shift()!));
  },
  run: copy,
};

/** ONNX TensorProto data types that are integers (Cast to them truncates toward zero). */
const INTEGER_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

/** ReduceMean over the last axis only, keepdims = 1 (axes as attribute, or input from opset 18). */
const reduceMean: FloatOp = {
  shape([x], node, constants) {
    const axes = node.inputs.length > 1 ? constants[1]?.data : node.attrs.axes;
    const rank = x!.length;
    const list =
      axes === undefined || typeof axes === 'string' ? undefined : Array.from(axes as ArrayLike<number>);
    if (list?.length !== 1 || (list[0]! + rank) % rank !== rank - 1)
      return 'only a mean over the last axis (axes = [-1]) is supported';
    if (numberAttr(node, 'keepdims', 1) !== 1) return 'only keepdims = 1 is supported';
    return [...x!.slice(0, -1), 1];
  },
  run([x], _node, outShape) {
    const L = x!.shape.at(-1)!;
    return Float64Array.from({ length: sizeOf(outShape) }, (_, r) => {
      let sum = 0;
      for (let k = r * L; k < (r + 1) * L; k++) sum += x!.data[k]!;
      return sum / L;
    });
  },
};

/** A layer norm over the last axis, (x − mean) / √(variance + epsilon), fused at import. */
const layerNorm: FloatOp = {
  shape: ([x]) => [...x!],
  run([x], node) {
    const L = x!.shape.at(-1)!;
    const epsilon = numberAttr(node, 'epsilon', 1e-5);
    const out = new Float64Array(x!.data.length);
    for (let r = 0; r < out.length; r += L) {
      let mean = 0;
      for (let k = 0; k < L; k++) mean += x!.data[r + k]! / L;
      let variance = 0;
      for (let k = 0; k < L; k++) variance += (x!.data[r + k]! - mean) ** 2 / L;
      for (let k = 0; k < L; k++) out[r + k] = (x!.data[r + k]! - mean) / Math.sqrt(variance + epsilon);
    }
    return out;
  },
};

/** ONNX HardSwish: x · clamp(x/6 + 1/2, 0, 1). */
const hardSwish: FloatOp = {
  shape: ([x]) => [...x!],
  run: ([x]) => x!.data.map((v) => v * Math.min(Math.max(v / 6 + 0.5, 0), 1)),
};

export const EXTRA_FLOAT_OPS: Readonly<Record<string, FloatOp>> = {
  Clip: clip,
  HardSwish: hardSwish,
  ReduceMean: reduceMean,
  Pow: elementwise(Math.pow),
  Sqrt: { shape: ([x]) => [...x!], run: ([x]) => x!.data.map(Math.sqrt) },
  LayerNorm: layerNorm,
  Div: div,
  HardSigmoid: hardSigmoid,
  Shape: {
    shape: ([x]) => [x!.length],
    run: ([x]) => Float64Array.from(x!.shape),
  },
  Cast: {
    shape: ([x]) => [...x!],
    run: ([x], node) =>
      INTEGER_TYPES.has(numberAttr(node, 'to', 1)) ? x!.data.map(Math.trunc) : x!.data.slice(),
  },
  Slice: slice,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Max: elementwise(Math.max),
  Min: elementwise(Math.min),
};

/** Ops whose output depends on their input's shape only, so they fold even on activations. */
export const SHAPE_ONLY_OPS = new Set(['Shape']);
