import { broadcastIndexer, broadcastShapes } from '../ops/broadcast.js';
import { windowOutput } from '../ops/window.js';
import { formatShape, sizeOf, stridesOf } from '../tensor.js';
import { attrInt, attrInts, type FloatNode, type FloatTensor } from './float-graph.js';
import { elementwise, type FloatOp } from './float-op.js';
import { EXTRA_FLOAT_OPS } from './float-ops-extra.js';
import { TEXT_FLOAT_OPS } from './float-ops-text.js';
import { UPSAMPLE_FLOAT_OPS } from './float-ops-upsample.js';

/**
 * Float semantics of the importable ONNX ops (float64), written independently of the integer
 * kernels: used for calibration, for float accuracy, and as the independent check in tests.
 */
function unary(f: (x: number) => number): FloatOp {
  return { shape: ([x]) => [...x!], run: ([x]) => x!.data.map(f) };
}

interface Geometry {
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  dilations: [number, number];
}

function geometry(node: FloatNode, kernel: readonly number[]): Geometry {
  const s = attrInts(node, 'strides', [1, 1]);
  const p = attrInts(node, 'pads', [0, 0, 0, 0]);
  const d = attrInts(node, 'dilations', [1, 1]);
  return {
    kernel: [kernel[0]!, kernel[1]!],
    strides: [s[0]!, s[1]!],
    pads: [p[0]!, p[1]!, p[2]!, p[3]!],
    dilations: [d[0]!, d[1]!],
  };
}

function poolShape(x: readonly number[], node: FloatNode): number[] | string {
  if (x.length !== 4) return `input must be NCHW, got ${formatShape(x)}`;
  const out = windowOutput(x[2]!, x[3]!, geometry(node, attrInts(node, 'kernel_shape', [])));
  return typeof out === 'string' ? out : [x[0]!, x[1]!, out[0], out[1]];
}

function pool(reduce: 'max' | 'avg'): FloatOp {
  return {
    shape: ([x], node) => poolShape(x!, node),
    run([x], node, outShape) {
      const [n, c, h, w] = x!.shape as [number, number, number, number];
      const [, , ho, wo] = outShape as [number, number, number, number];
      const g = geometry(node, attrInts(node, 'kernel_shape', []));
      const includePad = attrInt(node, 'count_include_pad', 0) === 1;
      const out = new Float64Array(n * c * ho * wo);
      let k = 0;
      for (let plane = 0; plane < n * c; plane++) {
        for (let i = 0; i < ho; i++) {
          for (let j = 0; j < wo; j++) {
            let acc = reduce === 'max' ? Number.NEGATIVE_INFINITY : 0;
            let count = 0;
            for (let u = 0; u < g.kernel[0]; u++) {
              const y = i * g.strides[0] + u * g.dilations[0] - g.pads[0];
              if (y < 0 || y >= h) continue;
              for (let v = 0; v < g.kernel[1]; v++) {
                const xx = j * g.strides[1] + v * g.dilations[1] - g.pads[1];
                if (xx < 0 || xx >= w) continue;
                const value = x!.data[(plane * h + y) * w + xx]!;
                acc = reduce === 'max' ? Math.max(acc, value) : acc + value;
                count++;
              }
            }
            if (reduce === 'avg') acc /= includePad ? g.kernel[0] * g.kernel[1] : count;
            out[k++] = acc;
          }
        }
      }
      return out;
    },
  };
}

const gemm: FloatOp = {
  shape([a, b, c], node) {
    if (a!.length !== 2 || b!.length !== 2)
      return `Gemm needs 2-D inputs, got ${formatShape(a!)} and ${formatShape(b!)}`;
    const [m, k] = attrInt(node, 'transA', 0) ? [a![1]!, a![0]!] : [a![0]!, a![1]!];
    const [kb, n] = attrInt(node, 'transB', 0) ? [b![1]!, b![0]!] : [b![0]!, b![1]!];
    if (k !== kb) return `inner dimensions differ: A ${formatShape(a!)} vs B ${formatShape(b!)}`;
    if (c && typeof broadcastShapes(c, [m, n]) === 'string')
      return `C ${formatShape(c)} does not broadcast to [${m},${n}]`;
    return [m, n];
  },
  run([a, b, c], node, outShape) {
    const [m, n] = outShape as [number, number];
    const transA = attrInt(node, 'transA', 0) === 1;
    const transB = attrInt(node, 'transB', 0) === 1;
    const k = transA ? a!.shape[0]! : a!.shape[1]!;
    const alpha = typeof node.attrs.alpha === 'number' ? node.attrs.alpha : 1;
    const beta = typeof node.attrs.beta === 'number' ? node.attrs.beta : 1;
    const ic = c ? broadcastIndexer(c.shape, outShape) : undefined;
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let t = 0; t < k; t++) {
          acc += a!.data[transA ? t * m + i : i * k + t]! * b!.data[transB ? j * k + t : t * n + j]!;
        }
        out[i * n + j] = alpha * acc + (c && ic ? beta * c.data[ic(i * n + j)]! : 0);
      }
    }
    return out;
  },
};

/** MatMul: [..., K] × [K, N], or a batch of products [B..., M, K] × [B..., K, N] (same B). */
const matmul: FloatOp = {
  shape([a, b]) {
    const batched = b!.length > 2 && a!.length === b!.length;
    if ((b!.length !== 2 && !batched) || a!.length < 1)
      return `MatMul supports [..., K] x [K, N] and [B..., M, K] x [B..., K, N], got ${formatShape(a!)} x ${formatShape(b!)}`;
    if (batched && !a!.slice(0, -2).every((d, i) => d === b![i]))
      return `batch dimensions differ: ${formatShape(a!)} x ${formatShape(b!)}`;
    if (a!.at(-1) !== b!.at(-2)) return `inner dimensions differ: ${formatShape(a!)} x ${formatShape(b!)}`;
    return [...a!.slice(0, -1), b!.at(-1)!];
  },
  run([a, b], _node, outShape) {
    const [k, n] = [b!.shape.at(-2)!, b!.shape.at(-1)!];
    const m = a!.shape.length > 1 ? a!.shape.at(-2)! : 1;
    // Rank-2 weights are shared by every row; a batch steps b by one K × N matrix per M rows.
    const batchStride = b!.shape.length > 2 ? k * n : 0;
    const rows = sizeOf(outShape) / n;
    const out = new Float64Array(rows * n);
    for (let i = 0; i < rows; i++) {
      const base = Math.floor(i / m) * batchStride;
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let t = 0; t < k; t++) acc += a!.data[i * k + t]! * b!.data[base + t * n + j]!;
        out[i * n + j] = acc;
      }
    }
    return out;
  },
};

const conv: FloatOp = {
  shape([x, w], node) {
    if (x!.length !== 4 || w!.length !== 4)
      return `Conv supports 2-D NCHW only, got ${formatShape(x!)} and weights ${formatShape(w!)}`;
    const group = attrInt(node, 'group', 1);
    if (x![1]! !== w![1]! * group)
      return `weights expect ${w![1]! * group} input channels, input has ${x![1]}`;
    const out = windowOutput(x![2]!, x![3]!, geometry(node, [w![2]!, w![3]!]));
    return typeof out === 'string' ? out : [x![0]!, w![0]!, out[0], out[1]];
  },
  run([x, w, b], node, outShape) {
    const [, c, h, wd] = x!.shape as [number, number, number, number];
    const [o, cg, kh, kw] = w!.shape as [number, number, number, number];
    const [n, , ho, wo] = outShape as [number, number, number, number];
    const g = geometry(node, [kh, kw]);
    const og = o / attrInt(node, 'group', 1);
    const out = new Float64Array(n * o * ho * wo);
    let k = 0;
    for (let img = 0; img < n; img++) {
      for (let oc = 0; oc < o; oc++) {
        const c0 = Math.floor(oc / og) * cg;
        for (let i = 0; i < ho; i++) {
          for (let j = 0; j < wo; j++) {
            let acc = b ? b.data[oc]! : 0;
            for (let ci = 0; ci < cg; ci++) {
              for (let u = 0; u < kh; u++) {
                const y = i * g.strides[0] + u * g.dilations[0] - g.pads[0];
                if (y < 0 || y >= h) continue;
                for (let v = 0; v < kw; v++) {
                  const xx = j * g.strides[1] + v * g.dilations[1] - g.pads[1];
                  if (xx < 0 || xx >= wd) continue;
                  acc +=
                    x!.data[((img * c + c0 + ci) * h + y) * wd + xx]! *
                    w!.data[((oc * cg + ci) * kh + u) * kw + v]!;
                }
              }
            }
            out[k++] = acc;
          }
        }
      }
    }
    return out;
  },
};

const batchNorm: FloatOp = {
  shape: ([x]) => [...x!],
  run([x, scale, bias, mean, variance], node, outShape) {
    const eps = typeof node.attrs.epsilon === 'number' ? node.attrs.epsilon : 1e-5;
    const c = outShape[1]!;
    const inner = sizeOf(outShape.slice(2));
    const out = new Float64Array(x!.data.length);
    for (let i = 0; i < out.length; i++) {
      const ch = Math.floor(i / inner) % c;
      const norm = (x!.data[i]! - mean!.data[ch]!) / Math.sqrt(variance!.data[ch]! + eps);
      out[i] = norm * scale!.data[ch]! + bias!.data[ch]!;
    }
    return out;
  },
};

const softmax: FloatOp = {
  shape: ([x]) => [...x!],
  run([x], _node, outShape) {
    const row = outShape.at(-1)!;
    const out = new Float64Array(x!.data.length);
    for (let r = 0; r < out.length; r += row) {
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < row; k++) max = Math.max(max, x!.data[r + k]!);
      let sum = 0;
      for (let k = 0; k < row; k++) {
        out[r + k] = Math.exp(x!.data[r + k]! - max);
        sum += out[r + k]!;
      }
      for (let k = 0; k < row; k++) out[r + k]! /= sum;
    }
    return out;
  },
};

const transpose: FloatOp = {
  shape([x], node) {
    const perm = attrInts(node, 'perm', [...x!.keys()].reverse());
    if (perm.length !== x!.length) return `perm [${perm.join(',')}] does not match rank ${x!.length}`;
    return perm.map((p) => x![p]!);
  },
  run([x], node, outShape) {
    const perm = attrInts(node, 'perm', [...x!.shape.keys()].reverse());
    const inStrides = stridesOf(x!.shape);
    const outStrides = stridesOf(outShape);
    const out = new Float64Array(x!.data.length);
    for (let i = 0; i < out.length; i++) {
      let rest = i;
      let src = 0;
      for (let d = 0; d < outShape.length; d++) {
        const coord = Math.floor(rest / outStrides[d]!);
        rest -= coord * outStrides[d]!;
        src += coord * inStrides[perm[d]!]!;
      }
      out[i] = x!.data[src]!;
    }
    return out;
  },
};

const concat: FloatOp = {
  shape(inputs, node) {
    const rank = inputs[0]!.length;
    const axis = (attrInt(node, 'axis', 0) + rank) % rank;
    for (const s of inputs) {
      if (s.length !== rank || s.some((d, k) => k !== axis && d !== inputs[0]![k])) {
        return `inputs ${inputs.map(formatShape).join(', ')} differ outside axis ${axis}`;
      }
    }
    return inputs[0]!.map((d, k) => (k === axis ? inputs.reduce((t, s) => t + s[axis]!, 0) : d));
  },
  run(inputs, node, outShape) {
    const axis = (attrInt(node, 'axis', 0) + outShape.length) % outShape.length;
    const outer = sizeOf(outShape.slice(0, axis));
    const out = new Float64Array(sizeOf(outShape));
    let k = 0;
    for (let o = 0; o < outer; o++) {
      for (const t of inputs) {
        const block = sizeOf(t.shape.slice(axis));
        out.set(t.data.subarray(o * block, (o + 1) * block), k);
        k += block;
      }
    }
    return out;
  },
};

/** Reshape target from the constant shape input: 0 copies a dim, -1 is inferred. */
export function resolveReshape(input: readonly number[], target: readonly number[]): number[] | string {
  const dims = target.map((d, i) => (d === 0 ? input[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const unknown = dims.filter((d) => d === -1).length;
  if (unknown > 1) return `shape ${formatShape(target)} has more than one -1`;
  if (unknown === 1) {
    if (known === 0 || sizeOf(input) % known !== 0)
      return `cannot reshape ${formatShape(input)} to ${formatShape(target)}`;
    return dims.map((d) => (d === -1 ? sizeOf(input) / known : d));
  }
  if (known !== sizeOf(input)) return `cannot reshape ${formatShape(input)} to ${formatShape(target)}`;
  return dims;
}

const copy = (inputs: readonly FloatTensor[]) => inputs[0]!.data.slice();

export const FLOAT_OPS: Readonly<Record<string, FloatOp>> = {
  Gemm: gemm,
  MatMul: matmul,
  Add: elementwise((a, b) => a + b),
  Sub: elementwise((a, b) => a - b),
  Mul: elementwise((a, b) => a * b),
  Relu: unary((x) => Math.max(x, 0)),
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x))),
  Tanh: unary(Math.tanh),
  Conv: conv,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: {
    shape: ([x]) => (x!.length === 4 ? [x![0]!, x![1]!, 1, 1] : `input must be NCHW, got ${formatShape(x!)}`),
    run([x]) {
      const [n, c, h, w] = x!.shape as [number, number, number, number];
      const out = new Float64Array(n * c);
      for (let p = 0; p < n * c; p++) {
        let s = 0;
        for (let k = p * h * w; k < (p + 1) * h * w; k++) s += x!.data[k]!;
        out[p] = s / (h * w);
      }
      return out;
    },
  },
  BatchNormalization: batchNorm,
  Softmax: softmax,
  Transpose: transpose,
  Concat: concat,
  Reshape: {
    shape([x], _node, constants) {
      const target = constants[1];
      if (!target) return 'the shape input must be a constant (initializer or Constant node)';
      return resolveReshape(x!, Array.from(target.data));
    },
    run: copy,
  },
  Flatten: {
    shape([x], node) {
      const axis = (attrInt(node, 'axis', 1) + x!.length) % (x!.length || 1);
      return [sizeOf(x!.slice(0, axis)), sizeOf(x!.slice(axis))];
    },
    run: copy,
  },
  ...EXTRA_FLOAT_OPS,
  ...TEXT_FLOAT_OPS,
  ...UPSAMPLE_FLOAT_OPS,
};
