import { requantize } from '../fixed-point.js';
import { channelFrac, frac } from '../graph/types.js';
import { formatShape } from '../tensor.js';
import { accumulatorProblems } from './accumulate.js';
import { intAttr, type OpDefinition } from './op.js';
import { windowAttrs, windowOf, windowOutput } from './window.js';

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
    const win = windowOf(attrs, [kh, kw]);
    const [sh, sw] = win.strides;
    const [dh, dw] = win.dilations;
    const [pt, pl] = win.pads;
    const og = o / intAttr(attrs, 'group');
    const fx = frac(inTypes[0]!);
    const fo = frac(outType);
    for (let idx = start; idx < end; idx++) {
      let rest = idx;
      const j = rest % wo;
      rest = (rest - j) / wo;
      const i = rest % ho;
      rest = (rest - i) / ho;
      const oc = rest % o;
      const n = (rest - oc) / o;
      const c0 = Math.floor(oc / og) * cg;
      let acc = bias ? bias[oc]! : 0;
      for (let ci = 0; ci < cg; ci++) {
        const xPlane = (n * c + c0 + ci) * h;
        const wBase = (oc * cg + ci) * kh;
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
      out[idx] = requantize(acc, fx + channelFrac(inTypes[1]!, oc), fo, outType.dtype);
    }
  },
};
