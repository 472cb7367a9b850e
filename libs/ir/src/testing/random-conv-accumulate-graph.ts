import type { DType } from '../dtype.js';
import { GraphBuilder } from '../graph/builder.js';
import type { TensorType } from '../graph/types.js';
import { createModel } from '../model.js';
import { inputChannelWeights } from '../ops/conv-accumulate.js';
import { sizeOf } from '../tensor.js';
import { Random } from './random.js';
import type { RandomGraphCase } from './random-graph.js';
import { outputFrac } from './random-wide-mac-graph.js';

/** `count` values of `dtype`: uniform, only the extremes, or a mix (where limbs and signs break first). */
function values(rng: Random, count: number, dtype: DType): Int32Array {
  const [min, max] = dtype === 'i8' ? [-128, 127] : [-32768, 32767];
  const mode = rng.int(0, 2);
  const out = rng.ints(count, min, max);
  for (let k = 0; k < count; k++)
    if (mode === 1 || (mode === 2 && rng.next() < 0.5)) out[k] = rng.next() < 0.5 ? min : max;
  return out;
}

/**
 * Random graphs of a group-1 Conv (output 0) beside the same Conv as a chain of ConvAccumulate
 * links over groups of its input channels (output 1), whose integers the chain must reproduce:
 * i8 or i16 activations and weights, per-channel weight fracs, an i32 bias or none, any output
 * dtype, strides, pads, dilations, 1 to 24 input channels cut into 1 to all of them per link (the
 * last shorter), the links in any order, and inputs that are often all extremes. With `transpose`,
 * a ConvTranspose (strides 1–3, no dilations) and its chain of ConvTransposeAccumulate links;
 * `weights` fixes the weight dtype (onnxruntime sums a ConvTranspose of i8 weights only).
 */
export function randomConvAccumulateGraph(seed: number, transpose = false, weights?: DType): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const act: DType = rng.pick(['i8', 'i16'] as const);
  const wDtype: DType = weights ?? rng.pick(['i8', 'i16'] as const);
  const kh = rng.int(1, 3);
  const kw = rng.int(1, 3);
  const channels = rng.int(1, 24);
  const o = rng.int(1, 4);
  const [dh, dw] = transpose ? [1, 1] : [rng.next() < 0.2 ? 2 : 1, rng.next() < 0.2 ? 2 : 1];
  const shape = [rng.int(1, 2), channels, rng.int(kh * dh, kh * dh + 4), rng.int(kw * dw, kw * dw + 5)];
  const fx = rng.int(-2, 10);
  const x = b.input('x', { dtype: act, shape, frac: fx });
  const wShape = [o, channels, kh, kw];
  const fracs = Array.from({ length: o }, () => rng.int(0, 14));
  const wType: TensorType = { dtype: wDtype, shape: wShape, frac: { axis: 0, fracs } };
  const weightData = values(rng, sizeOf(wShape), wDtype);
  const biasType: TensorType = {
    dtype: 'i32',
    shape: [o],
    frac: { axis: 0, fracs: fracs.map((f) => fx + f) },
  };
  const bias = rng.next() < 0.6 ? rng.ints(o, -(2 ** 28), 2 ** 28) : undefined;
  const biasNode = () => (bias ? [b.param('bias', biasType, bias)] : []);
  const out: DType = rng.pick(['i8', 'i16', 'i32'] as const);
  const outType = {
    dtype: out,
    frac: outputFrac(rng, fx + fracs[0]!, channels * kh * kw, act === 'i8' ? 7 : 15, out),
  };
  const strides = [rng.int(1, transpose ? 3 : 2), rng.int(1, transpose ? 3 : 2)];
  const pads = [rng.int(0, kh - 1), rng.int(0, kw - 1), rng.int(0, kh - 1), rng.int(0, kw - 1)];
  const window = transpose ? { strides, pads } : { strides, pads, dilations: [dh, dw] };
  b.output(
    b.op(transpose ? 'ConvTranspose' : 'Conv', [x, b.param('w', wType, weightData), ...biasNode()], {
      ...outType,
      attrs: transpose ? window : { ...window, group: 1 },
    }),
  );

  const perLink = rng.int(1, channels);
  const starts = Array.from({ length: Math.ceil(channels / perLink) }, (_, k) => k * perLink);
  for (let k = starts.length - 1; k > 0; k--) {
    const j = rng.int(0, k);
    [starts[k], starts[j]] = [starts[j]!, starts[k]!];
  }
  let previous = biasNode()[0];
  for (const [k, start] of starts.entries()) {
    const c = Math.min(perLink, channels - start);
    const sliced = inputChannelWeights(weightData, wShape, start, c);
    const link = b.param(`w[${start}]`, { ...wType, shape: [o, c, kh, kw] }, sliced);
    const last = k === starts.length - 1;
    previous = b.op(
      transpose ? 'ConvTransposeAccumulate' : 'ConvAccumulate',
      [x, link, ...(previous === undefined ? [] : [previous])],
      {
        ...(last ? outType : { dtype: 'i32', frac: 0 }),
        attrs: { ...window, start, requantize: last ? 1 : 0 },
      },
    );
  }
  b.output(previous!);
  return {
    model: createModel(b.build(), `random-conv${transpose ? '-transpose' : ''}-accumulate-${seed}`),
    inputs: [{ dtype: act, shape, data: values(rng, sizeOf(shape), act) }],
  };
}
