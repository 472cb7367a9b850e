import { requantize, saturate } from '../fixed-point.js';
import { channelFrac, frac, type TensorType } from '../graph/types.js';
import { formatShape, sizeOf } from '../tensor.js';
import { accumulatorLimit, productBound } from './accumulate.js';
import { convTaps, nchwIndex } from './conv.js';
import { intAttr, intsAttr, maxAbsOf, type OpDefinition, perTensorProblems } from './op.js';
import { convTransposeGeometryOf, convTransposeOutput, convTransposeTaps, tapsPerAxis } from './upsample.js';
import { windowAttrs, windowOf, windowOutput } from './window.js';

/** A partial accumulator a is carried as the limbs (⌊a / 2^16⌋, a mod 2^16) on a last axis of 2. */
export const ACCUMULATOR_LIMB_BITS = 16;
const LIMB = 2 ** ACCUMULATOR_LIMB_BITS;

type Attrs = Parameters<OpDefinition['inferShape']>[1];

/** The previous link's role: none, a bias [O], or a partial accumulator [N, O, Ho, Wo, 2]. */
function previousKind(p: TensorType | undefined): 'none' | 'bias' | 'partial' {
  if (!p) return 'none';
  return p.shape.length === 1 ? 'bias' : 'partial';
}

/**
 * What distinguishes the links of a split Conv and of a split ConvTranspose: their attributes,
 * output size, taps and tile weight; the previous input, limbs and requantization are shared.
 */
interface LinkForm {
  readonly name: string;
  readonly code: number;
  readonly attrs: OpDefinition['attrs'];
  spatial(x: readonly number[], w: readonly number[], attrs: Attrs): [number, number] | string;
  /** Taps one position reads per input channel, at most. */
  tapsPerChannel(w: readonly number[], attrs: Attrs): number;
  /** Σ over `count` planes from `plane0` of output (oc, i, j)'s taps. */
  taps(
    x: readonly number[],
    w: readonly number[],
    attrs: Attrs,
  ): (
    x: Int32Array,
    w: Int32Array,
    plane0: number,
    oc: number,
    count: number,
    i: number,
    j: number,
  ) => number;
}

function outputSpatial(
  form: LinkForm,
  inTypes: readonly TensorType[],
  attrs: Attrs,
): [number, number] | string {
  return form.spatial(inTypes[0]!.shape, inTypes[1]!.shape, attrs);
}

/** Weights [O, C, kh, kw] of input channels [start, start + count): [O, count, kh, kw]. */
export function inputChannelWeights(
  weights: Int32Array,
  shape: readonly number[],
  start: number,
  count: number,
): Int32Array {
  const [o, channels, kh, kw] = shape as [number, number, number, number];
  const taps = kh * kw;
  const sliced = new Int32Array(o * count * taps);
  for (let oc = 0; oc < o; oc++)
    sliced.set(
      weights.subarray((oc * channels + start) * taps, (oc * channels + start + count) * taps),
      oc * count * taps,
    );
  return sliced;
}

/**
 * One link of a convolution split over input channels (the importer's lowering of a Conv whose
 * tile reads too many input channels to open in one call; docs/semantics.md §9):
 * acc[n,o,i,j] = P + Σ_{ci<c,u,v} x[n, start + ci, i·sh + u·dh − pt, j·sw + v·dw − pl] · w[o,ci,u,v],
 * w [O, c, kh, kw] the weights of input channels [start, start + c), P the bias[o] (first link),
 * the previous link's accumulator p[n,o,i,j,0]·2^16 + p[n,o,i,j,1], or 0. With requantize = 0 the
 * output is the accumulator's limbs, i32 [N, O, Ho, Wo, 2]: (saturate_i32(⌊acc / 2^16⌋),
 * acc − 2^16·⌊acc / 2^16⌋); with requantize = 1 it is Conv's output,
 * requantize(acc, fx + fw[o], fo, dtype). A chain over every input channel is Conv, integer for
 * integer, whenever Conv's accumulator bound holds (every partial sum is then within it).
 */
const accumulateLink = (form: LinkForm): OpDefinition => ({
  name: form.name,
  code: form.code,
  minInputs: 2,
  maxInputs: 3,
  attrs: form.attrs,
  inferShape(inTypes, attrs) {
    const [x, w, p] = inTypes as [TensorType, TensorType, TensorType | undefined];
    if (x.shape.length !== 4) return `input 0 must be NCHW (rank 4), got ${formatShape(x.shape)}`;
    if (w.shape.length !== 4) return `weights must be [O, c, kh, kw], got ${formatShape(w.shape)}`;
    const [n, channels] = x.shape as [number, number];
    const [o, c] = w.shape as [number, number];
    const start = intAttr(attrs, 'start');
    if (!Number.isInteger(start) || start < 0 || start + c > channels)
      return `input channels [${start}, ${start + c}) must lie within the input's ${channels}`;
    const mode = intAttr(attrs, 'requantize');
    if (mode !== 0 && mode !== 1) return `requantize must be 0 or 1, got ${mode}`;
    const spatial = outputSpatial(form, inTypes, attrs);
    if (typeof spatial === 'string') return spatial;
    const partialShape = [n, o, spatial[0], spatial[1], 2];
    const kind = previousKind(p);
    if (kind === 'bias' && p!.shape[0] !== o) return `bias must be [${o}], got ${formatShape(p!.shape)}`;
    if (kind === 'partial' && p!.shape.join(',') !== partialShape.join(','))
      return `the previous accumulator must be ${formatShape(partialShape)}, got ${formatShape(p!.shape)}`;
    return mode === 1 ? partialShape.slice(0, 4) : partialShape;
  },
  check({ inTypes, outType, attrs, constants }) {
    const [x, w, p] = inTypes as [TensorType, TensorType, TensorType | undefined];
    const problems = perTensorProblems([x], ['input 0']);
    if (x.dtype === 'i32') problems.push('input 0 must be i8 or i16');
    if (typeof w.frac !== 'number' && (w.frac.axis !== 0 || w.frac.fracs.length !== w.shape[0]))
      problems.push(`weights must be scaled per tensor or per output channel (axis 0, ${w.shape[0]} fracs)`);
    const kind = previousKind(p);
    if (p && p.dtype !== 'i32') problems.push(`input 2 (${kind}) must be i32`);
    if (kind === 'partial' && p!.frac !== 0)
      problems.push('the previous accumulator must have frac 0 (limbs)');
    if (intAttr(attrs, 'requantize') === 0) {
      if (outType.dtype !== 'i32' || outType.frac !== 0)
        problems.push('the accumulator limbs (requantize 0) must be i32 with frac 0');
    } else {
      problems.push(...perTensorProblems([outType], ['the output']));
    }
    if (problems.length > 0) return problems;
    const fx = frac(x);
    const channels = w.shape[0]!;
    const reduction = sizeOf(w.shape) / channels;
    const maxX = maxAbsOf(x, undefined);
    const weights = constants[1];
    const maxW = maxAbsOf(w, undefined);
    const limit = accumulatorLimit(w);
    for (let o = 0; o < channels; o++) {
      if (kind === 'bias' && channelFrac(p!, o) !== fx + channelFrac(w, o)) {
        problems.push(
          `bias frac of channel ${o} must be input frac + weight frac = ${fx + channelFrac(w, o)}`,
        );
        break;
      }
      let bound = productBound(weights, maxW, maxX, o, reduction);
      if (kind === 'bias') bound += constants[2] ? Math.abs(constants[2][o]!) : maxAbsOf(p!, undefined);
      if (bound >= limit) {
        problems.push(
          `this link's sum for output channel ${o} may reach ${bound} (limit 2^${Math.log2(limit)}): fewer input channels per link`,
        );
        break;
      }
    }
    return problems;
  },
  // + 12: a position's fixed cost on-chain (its indices, the previous limbs, the limbs or the
  // requantization) measured at ~20k gas, as much as ~12 taps (BENCHMARKS.md, s29-acc).
  elementWork: (inTypes, _out, attrs) =>
    inTypes[1]!.shape[1]! * form.tapsPerChannel(inTypes[1]!.shape, attrs) + 12,
  tileGranule: (_in, _out, attrs) => (intAttr(attrs, 'requantize') === 0 ? 2 : 1),
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const [x, w, p] = inputs as [Int32Array, Int32Array, Int32Array | undefined];
    const kind = previousKind(inTypes[2]);
    const channels = inTypes[0]!.shape[1]!;
    const [o, c] = inTypes[1]!.shape as [number, number];
    const limbs = intAttr(attrs, 'requantize') === 0;
    const [ho, wo] = outputSpatial(form, inTypes, attrs) as [number, number];
    const taps = form.taps(inTypes[0]!.shape, inTypes[1]!.shape, attrs);
    const c0 = intAttr(attrs, 'start');
    const fx = frac(inTypes[0]!);
    for (let idx = start; idx < end; idx++) {
      const pos = limbs ? Math.floor(idx / 2) : idx;
      const [n, oc, i, j] = nchwIndex(pos, o, ho, wo);
      let acc = kind === 'bias' ? p![oc]! : kind === 'partial' ? p![2 * pos]! * LIMB + p![2 * pos + 1]! : 0;
      acc += taps(x, w, n * channels + c0, oc, c, i, j);
      if (!limbs) {
        out[idx] = requantize(acc, fx + channelFrac(inTypes[1]!, oc), frac(outType), outType.dtype);
        continue;
      }
      const high = Math.floor(acc / LIMB);
      out[idx] = idx % 2 === 0 ? saturate(high, 'i32') : acc - high * LIMB;
    }
  },
});

export const ConvAccumulate = accumulateLink({
  name: 'ConvAccumulate',
  code: 58,
  attrs: {
    ...windowAttrs,
    dilations: { kind: 'ints', default: [1, 1] },
    start: { kind: 'int' },
    requantize: { kind: 'int' },
  },
  spatial: (x, w, attrs) => windowOutput(x[2]!, x[3]!, windowOf(attrs, w.slice(2))),
  tapsPerChannel: (w) => w[2]! * w[3]!,
  taps(x, w, attrs) {
    const geometry = { h: x[2]!, wd: x[3]!, win: windowOf(attrs, w.slice(2)) };
    return (xs, ws, plane0, oc, count, i, j) => convTaps(xs, ws, geometry, plane0, oc, count, i, j);
  },
});

/**
 * One link of a ConvTranspose split over input channels (docs/semantics.md §9), as
 * ConvAccumulate with ConvTranspose's taps: acc = P + Σ_{ci<c} x[n, start + ci, a, b] · w[o,ci,u,v]
 * over every (u, v) with i + pt − u = a·sh, j + pl − v = b·sw inside the image; the same
 * previous input, limbs and last-link requantization. A chain over every input channel is
 * ConvTranspose, integer for integer, whenever ConvTranspose's accumulator bound holds.
 */
export const ConvTransposeAccumulate = accumulateLink({
  name: 'ConvTransposeAccumulate',
  code: 59,
  attrs: { ...windowAttrs, start: { kind: 'int' }, requantize: { kind: 'int' } },
  spatial: (x, w, attrs) => convTransposeOutput(x[2]!, x[3]!, w[2]!, w[3]!, attrs),
  tapsPerChannel(w, attrs) {
    const [sh, sw] = intsAttr(attrs, 'strides') as [number, number];
    return tapsPerAxis(w[2]!, sh) * tapsPerAxis(w[3]!, sw);
  },
  taps(x, w, attrs) {
    const geometry = convTransposeGeometryOf(x, w, attrs);
    return (xs, ws, plane0, oc, count, i, j) => convTransposeTaps(xs, ws, geometry, plane0, oc, count, i, j);
  },
});
