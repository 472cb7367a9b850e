import { requantize } from '../fixed-point.js';
import { channelFrac, frac } from '../graph/types.js';
import { formatShape } from '../tensor.js';
import { accumulatorProblems } from './accumulate.js';
import { intAttr, type OpDefinition } from './op.js';
import { type Window2d, windowAttrs, windowOf, windowOutput } from './window.js';

/**
 * 2-D convolution, NCHW, weights [O, C/group, kh, kw], zero padding:
 * y[n,o,i,j] = requantize(bias[o] + Σ_{c,u,v} x[n, g·C/group + c, i·sh + u·dh − pt, j·sw + v·dw − pl] · w[o,c,u,v]).
 */
export const Conv: OpDefinition = {
  name: 'Conv',
  code: 21,
  minInputs: 2,
  maxInputs: 3,
  attrs: { ...windowAttrs, dilations: { kind: 'ints', default: [1, 1] }, group: { kind: 'int', default: 1 } },
  inferShape(inTypes, attrs) {
    const [x, w, bias] = inTypes;
    if (x!.shape.length !== 4) return `input 0 must be NCHW (rank 4), got ${formatShape(x!.shape)}`;
    if (w!.shape.length !== 4) return `weights must be [O, C/group, kh, kw], got ${formatShape(w!.shape)}`;
    const [n, c, h, wd] = x!.shape as [number, number, number, number];
    const [o, cg, kh, kw] = w!.shape as [number, number, number, number];
    const group = intAttr(attrs, 'group');
    if (group < 1 || c % group !== 0 || o % group !== 0) {
      return `group ${group} must divide input channels ${c} and output channels ${o}`;
    }
    if (cg !== c / group) return `weights have ${cg} input channels per group, input has ${c}/${group}`;
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== o))
      return `bias must be [${o}], got ${formatShape(bias.shape)}`;
    const out = windowOutput(h, wd, windowOf(attrs, [kh, kw]));
    return typeof out === 'string' ? out : [n, o, out[0], out[1]];
  },
  check({ inTypes, outType, constants }) {
    const [o, cg, kh, kw] = inTypes[1]!.shape as [number, number, number, number];
    return accumulatorProblems(inTypes, outType, constants, o, cg * kh * kw);
  },
  elementWork: (inTypes) => inTypes[1]!.shape[1]! * inTypes[1]!.shape[2]! * inTypes[1]!.shape[3]!,
  tileGranule: () => 1,
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const [x, w, bias] = inputs as [Int32Array, Int32Array, Int32Array | undefined];
    const [, c, h, wd] = inTypes[0]!.shape as [number, number, number, number];
    const [o, cg, kh, kw] = inTypes[1]!.shape as [number, number, number, number];
    const [, , ho, wo] = outType.shape as [number, number, number, number];
    const geometry = { h, wd, win: windowOf(attrs, [kh, kw]) };
    const og = o / intAttr(attrs, 'group');
    const fx = frac(inTypes[0]!);
    const fo = frac(outType);
    for (let idx = start; idx < end; idx++) {
      const [n, oc, i, j] = nchwIndex(idx, o, ho, wo);
      const c0 = Math.floor(oc / og) * cg;
      const acc = (bias ? bias[oc]! : 0) + convTaps(x, w, geometry, n * c + c0, oc, cg, i, j);
      out[idx] = requantize(acc, fx + channelFrac(inTypes[1]!, oc), fo, outType.dtype);
    }
  },
};

/** A 2-D window over input planes of h × wd (Conv and ConvAccumulate). */
export interface ConvGeometry {
  readonly h: number;
  readonly wd: number;
  readonly win: Window2d;
}

/**
 * Σ_{ci<count, u, v} x[plane0 + ci, i·sh + u·dh − pt, j·sw + v·dw − pl] · w[oc, ci, u, v] over
 * `count` consecutive input planes from `plane0` (the batch item's offset included) and the
 * weights [·, count, kh, kw]; positions outside the image contribute 0.
 */
export function convTaps(
  x: Int32Array,
  w: Int32Array,
  { h, wd, win }: ConvGeometry,
  plane0: number,
  oc: number,
  count: number,
  i: number,
  j: number,
): number {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.strides;
  const [dh, dw] = win.dilations;
  const [pt, pl] = win.pads;
  let acc = 0;
  for (let ci = 0; ci < count; ci++) {
    const xPlane = (plane0 + ci) * h;
    const wBase = (oc * count + ci) * kh;
    for (let u = 0; u < kh; u++) {
      const y = i * sh + u * dh - pt;
      if (y < 0 || y >= h) continue;
      const xRow = (xPlane + y) * wd;
      const wRow = (wBase + u) * kw;
      for (let v = 0; v < kw; v++) {
        const xx = j * sw + v * dw - pl;
        if (xx < 0 || xx >= wd) continue;
        acc += x[xRow + xx]! * w[wRow + v]!;
      }
    }
  }
  return acc;
}

/** The (n, c, i, j) of flat index `idx` of an NCHW tensor of c channels of ho × wo. */
export function nchwIndex(idx: number, c: number, ho: number, wo: number): [number, number, number, number] {
  const j = idx % wo;
  let rest = (idx - j) / wo;
  const i = rest % ho;
  rest = (rest - i) / ho;
  const oc = rest % c;
  return [(rest - oc) / c, oc, i, j];
}
