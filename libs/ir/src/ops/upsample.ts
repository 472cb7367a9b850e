import { requantize } from '../fixed-point.js';
import { type Attrs, channelFrac, frac } from '../graph/types.js';
import { formatShape } from '../tensor.js';
import { accumulatorProblems } from './accumulate.js';
import { movesValues, passThroughProblems } from './layout.js';
import { intsAttr, type OpDefinition } from './op.js';
import { windowAttrs } from './window.js';

/**
 * Nearest-neighbour Resize by whole factors (ONNX `Resize`, mode nearest, coordinate
 * transformation asymmetric, nearest_mode floor), NCHW, scales [sh, sw]:
 * y[n,c,i,j] = x[n, c, ⌊i / sh⌋, ⌊j / sw⌋]; values, dtype and frac unchanged.
 */
export const Resize: OpDefinition = {
  ...movesValues,
  name: 'Resize',
  code: 44,
  minInputs: 1,
  maxInputs: 1,
  attrs: { scales: { kind: 'ints' } },
  inferShape(inTypes, attrs) {
    const x = inTypes[0]!.shape;
    if (x.length !== 4) return `input 0 must be NCHW (rank 4), got ${formatShape(x)}`;
    const scales = intsAttr(attrs, 'scales');
    if (scales.length !== 2 || scales.some((s) => !Number.isInteger(s) || s < 1))
      return `scales must be two integers >= 1 (height, width), got [${scales.join(', ')}]`;
    return [x[0]!, x[1]!, x[2]! * scales[0]!, x[3]! * scales[1]!];
  },
  check: ({ inTypes, outType }) => passThroughProblems(inTypes, outType),
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const x = inputs[0]!;
    const [, , h, w] = inTypes[0]!.shape as [number, number, number, number];
    const [, , ho, wo] = outType.shape as [number, number, number, number];
    const [sh, sw] = intsAttr(attrs, 'scales') as [number, number];
    for (let idx = start; idx < end; idx++) {
      const j = idx % wo;
      const rest = (idx - j) / wo;
      const i = rest % ho;
      const plane = (rest - i) / ho;
      out[idx] = x[(plane * h + Math.floor(i / sh)) * w + Math.floor(j / sw)]!;
    }
  },
};

/** Coordinates of flat index `idx` in a rank-4 shape. */
function coordinates(idx: number, shape: readonly number[]): [number, number, number, number] {
  const coords = [0, 0, 0, 0] as [number, number, number, number];
  let rest = idx;
  for (let d = 3; d >= 0; d--) {
    coords[d] = rest % shape[d]!;
    rest = Math.floor(rest / shape[d]!);
  }
  return coords;
}

/** Output height and width of a ConvTranspose of an h × wd input, or why there is none. */
export function convTransposeOutput(
  h: number,
  wd: number,
  kh: number,
  kw: number,
  attrs: Attrs,
): [number, number] | string {
  const strides = intsAttr(attrs, 'strides');
  const pads = intsAttr(attrs, 'pads');
  if (strides.length !== 2 || strides.some((s) => !Number.isInteger(s) || s < 1))
    return 'strides must be two integers >= 1';
  if (pads.length !== 4 || pads.some((p) => !Number.isInteger(p) || p < 0))
    return 'pads must be four integers >= 0';
  const ho = (h - 1) * strides[0]! + kh - pads[0]! - pads[2]!;
  const wo = (wd - 1) * strides[1]! + kw - pads[1]! - pads[3]!;
  if (ho < 1 || wo < 1) return `pads [${pads.join(', ')}] leave no output of the ${h}x${wd} input`;
  return [ho, wo];
}

/** What a ConvTranspose tap sum needs of the shapes and attributes. */
export interface ConvTransposeGeometry {
  readonly h: number;
  readonly wd: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pt: number;
  readonly pl: number;
}

export function convTransposeGeometryOf(
  xShape: readonly number[],
  wShape: readonly number[],
  attrs: Attrs,
): ConvTransposeGeometry {
  const [sh, sw] = intsAttr(attrs, 'strides') as [number, number];
  const [pt, pl] = intsAttr(attrs, 'pads') as [number, number];
  return { h: xShape[2]!, wd: xShape[3]!, kh: wShape[2]!, kw: wShape[3]!, sh, sw, pt, pl };
}

/**
 * Σ x[plane0 + ci, a, b] · w[oc, ci, u, v] over `count` consecutive input planes from `plane0`
 * (the batch item's offset included), weights [·, count, kh, kw], and every (u, v) with
 * i + pt − u = a·sh, j + pl − v = b·sw, 0 ≤ a < h, 0 ≤ b < wd.
 */
export function convTransposeTaps(
  x: Int32Array,
  w: Int32Array,
  { h, wd, kh, kw, sh, sw, pt, pl }: ConvTransposeGeometry,
  plane0: number,
  oc: number,
  count: number,
  i: number,
  j: number,
): number {
  let acc = 0;
  for (let ci = 0; ci < count; ci++) {
    const xPlane = (plane0 + ci) * h;
    const wBase = (oc * count + ci) * kh;
    for (let u = 0; u < kh; u++) {
      const ty = i + pt - u;
      if (ty < 0 || ty % sh !== 0 || ty / sh >= h) continue;
      const xRow = (xPlane + ty / sh) * wd;
      const wRow = (wBase + u) * kw;
      for (let v = 0; v < kw; v++) {
        const tx = j + pl - v;
        if (tx < 0 || tx % sw !== 0 || tx / sw >= wd) continue;
        acc += x[xRow + tx / sw]! * w[wRow + v]!;
      }
    }
  }
  return acc;
}

/** Taps of ConvTranspose's kernel that reach one output row or column: at most ⌈k / s⌉. */
export const tapsPerAxis = (kernel: number, stride: number) => Math.ceil(kernel / stride);
/**
 * Work units of one ConvTranspose output besides its taps (finding the taps, bias,
 * requantization): measured on-chain at several taps' gas, so that tiles of narrow layers
 * stay within the one-step budget (docs/semantics.md §4).
 */
export const CONV_TRANSPOSE_OUTPUT_WORK = 3;

/**
 * Transposed 2-D convolution (ONNX `ConvTranspose`, group 1, no dilation, no output padding),
 * NCHW, weights in the IR's layout [O, C, kh, kw] (ONNX's [C, O, kh, kw] transposed at import,
 * so that scales are per output channel on axis 0 as for Conv), pads [top, left, bottom, right]:
 * y[n,o,i,j] = requantize(bias[o] + Σ x[n,c,a,b] · w[o,c,u,v]) over every c and every (u, v)
 * with i + top − u = a·sh, j + left − v = b·sw, 0 ≤ a < H, 0 ≤ b < W;
 * output H_out = (H − 1)·sh + kh − top − bottom, W_out likewise.
 */
export const ConvTranspose: OpDefinition = {
  name: 'ConvTranspose',
  code: 23,
  minInputs: 2,
  maxInputs: 3,
  attrs: windowAttrs,
  inferShape(inTypes, attrs) {
    const [x, w, bias] = inTypes;
    if (x!.shape.length !== 4) return `input 0 must be NCHW (rank 4), got ${formatShape(x!.shape)}`;
    if (w!.shape.length !== 4) return `weights must be [O, C, kh, kw], got ${formatShape(w!.shape)}`;
    const [n, c, h, wd] = x!.shape as [number, number, number, number];
    const [o, wc, kh, kw] = w!.shape as [number, number, number, number];
    if (wc !== c) return `weights have ${wc} input channels, input has ${c}`;
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== o))
      return `bias must be [${o}], got ${formatShape(bias.shape)}`;
    const spatial = convTransposeOutput(h, wd, kh, kw, attrs);
    if (typeof spatial === 'string') return spatial;
    const [ho, wo] = spatial;
    return [n, o, ho, wo];
  },
  check({ inTypes, outType, constants }) {
    const [o, c, kh, kw] = inTypes[1]!.shape as [number, number, number, number];
    return accumulatorProblems(inTypes, outType, constants, o, c * kh * kw);
  },
  elementWork(inTypes, _outType, attrs) {
    const [, c, kh, kw] = inTypes[1]!.shape as [number, number, number, number];
    const [sh, sw] = intsAttr(attrs, 'strides') as [number, number];
    return c * tapsPerAxis(kh, sh) * tapsPerAxis(kw, sw) + CONV_TRANSPOSE_OUTPUT_WORK;
  },
  tileGranule: () => 1,
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const [x, w, bias] = inputs as [Int32Array, Int32Array, Int32Array | undefined];
    const c = inTypes[0]!.shape[1]!;
    const geometry = convTransposeGeometryOf(inTypes[0]!.shape, inTypes[1]!.shape, attrs);
    const fx = frac(inTypes[0]!);
    const fo = frac(outType);
    for (let idx = start; idx < end; idx++) {
      const [n, oc, i, j] = coordinates(idx, outType.shape);
      const acc = (bias ? bias[oc]! : 0) + convTransposeTaps(x, w, geometry, n * c, oc, c, i, j);
      out[idx] = requantize(acc, fx + channelFrac(inTypes[1]!, oc), fo, outType.dtype);
    }
  },
};
