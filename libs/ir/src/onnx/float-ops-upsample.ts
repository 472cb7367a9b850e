import { formatShape, sizeOf } from '../tensor.js';
import { attrInt, attrInts, attrString, type FloatNode, type FloatTensor } from './float-graph.js';
import type { FloatOp } from './float-op.js';

/**
 * Float semantics of a DB text detector's upsampling ops (float64): nearest Resize by whole
 * factors and ConvTranspose (group 1, no dilation, no output padding). Anything else these ops
 * can say is refused with a message naming it, so import stops at the node.
 */

/** Resize's whole [sh, sw] factors, or why this Resize is not the supported kind. */
export function resizeScales(
  node: FloatNode,
  inShape: readonly number[],
  constants: readonly (FloatTensor | undefined)[],
): [number, number] | string {
  for (const [key, want, fallback] of [
    ['mode', 'nearest', 'nearest'],
    ['coordinate_transformation_mode', 'asymmetric', 'half_pixel'],
    ['nearest_mode', 'floor', 'round_prefer_floor'],
  ] as const) {
    const got = attrString(node, key, fallback);
    if (got !== want) return `${key}=${got} is not supported (only ${want})`;
  }
  if (inShape.length !== 4) return `input must be NCHW, got ${formatShape(inShape)}`;
  const [, , scales, sizes] = constants;
  let factors: number[];
  if (scales && scales.data.length === 4) factors = Array.from(scales.data);
  else if (sizes && sizes.data.length === 4) factors = Array.from(sizes.data, (s, d) => s / inShape[d]!);
  else return 'scales or sizes must be a constant of 4 values';
  if (factors[0] !== 1 || factors[1] !== 1) return `scales [${factors.join(', ')}] must keep N and C`;
  const [sh, sw] = [factors[2]!, factors[3]!];
  if (![sh, sw].every((f) => Number.isInteger(f) && f >= 1))
    return `scales [${factors.join(', ')}] must be whole factors >= 1 on H and W`;
  return [sh, sw];
}

const resize: FloatOp = {
  shape([x], node, constants) {
    const s = resizeScales(node, x!, constants);
    return typeof s === 'string' ? s : [x![0]!, x![1]!, x![2]! * s[0], x![3]! * s[1]];
  },
  run([x], _node, outShape) {
    const [, , h, w] = x!.shape as [number, number, number, number];
    const [, , ho, wo] = outShape as [number, number, number, number];
    const [sh, sw] = [ho / h, wo / w];
    const out = new Float64Array(sizeOf(outShape));
    for (let k = 0; k < out.length; k++) {
      const j = k % wo;
      const rest = (k - j) / wo;
      const i = rest % ho;
      out[k] = x!.data[((rest - i) / ho) * h * w + Math.floor(i / sh) * w + Math.floor(j / sw)]!;
    }
    return out;
  },
};

/** ConvTranspose's strides and pads, or why this one is not supported. */
export function convTransposeGeometry(
  node: FloatNode,
  weights: readonly number[],
): { strides: readonly number[]; pads: readonly number[] } | string {
  if (attrInt(node, 'group', 1) !== 1) return 'group > 1 is not supported';
  if (attrInts(node, 'dilations', [1, 1]).some((d) => d !== 1)) return 'dilations are not supported';
  if (attrInts(node, 'output_padding', [0, 0]).some((p) => p !== 0)) return 'output_padding is not supported';
  if (node.attrs.output_shape !== undefined) return 'output_shape is not supported (give pads)';
  if (attrString(node, 'auto_pad', 'NOTSET') !== 'NOTSET') return 'auto_pad is not supported (give pads)';
  const kernel = attrInts(node, 'kernel_shape', weights.slice(2));
  if (kernel[0] !== weights[2] || kernel[1] !== weights[3]) return 'kernel_shape disagrees with the weights';
  return { strides: attrInts(node, 'strides', [1, 1]), pads: attrInts(node, 'pads', [0, 0, 0, 0]) };
}

const convTranspose: FloatOp = {
  shape([x, w], node) {
    if (x!.length !== 4 || w!.length !== 4)
      return `ConvTranspose supports 2-D NCHW only, got ${formatShape(x!)} and weights ${formatShape(w!)}`;
    if (w![0] !== x![1]) return `weights expect ${w![0]} input channels, input has ${x![1]}`;
    const g = convTransposeGeometry(node, w!);
    if (typeof g === 'string') return g;
    const size = (d: 0 | 1) => (x![2 + d]! - 1) * g.strides[d]! + w![2 + d]! - g.pads[d]! - g.pads[2 + d]!;
    return [x![0]!, w![1]!, size(0), size(1)];
  },
  run([x, w, b], node, outShape) {
    const [n, c, h, wd] = x!.shape as [number, number, number, number];
    const [, o, kh, kw] = w!.shape as [number, number, number, number];
    const [, , ho, wo] = outShape as [number, number, number, number];
    const { strides, pads } = convTransposeGeometry(node, w!.shape) as { strides: number[]; pads: number[] };
    const out = new Float64Array(sizeOf(outShape));
    for (let p = 0; p < n * o; p++) out.fill(b ? b.data[p % o]! : 0, p * ho * wo, (p + 1) * ho * wo);
    // Scatter: every input value adds its products to the outputs its kernel covers.
    for (let img = 0; img < n; img++) {
      for (let ci = 0; ci < c; ci++) {
        for (let a = 0; a < h; a++) {
          for (let bb = 0; bb < wd; bb++) {
            const xv = x!.data[((img * c + ci) * h + a) * wd + bb]!;
            for (let oc = 0; oc < o; oc++) {
              for (let u = 0; u < kh; u++) {
                const i = a * strides[0]! + u - pads[0]!;
                if (i < 0 || i >= ho) continue;
                for (let v = 0; v < kw; v++) {
                  const j = bb * strides[1]! + v - pads[1]!;
                  if (j < 0 || j >= wo) continue;
                  const k = ((img * o + oc) * ho + i) * wo + j;
                  out[k] = out[k]! + xv * w!.data[((ci * o + oc) * kh + u) * kw + v]!;
                }
              }
            }
          }
        }
      }
    }
    return out;
  },
};

export const UPSAMPLE_FLOAT_OPS: Readonly<Record<string, FloatOp>> = {
  Resize: resize,
  ConvTranspose: convTranspose,
};
