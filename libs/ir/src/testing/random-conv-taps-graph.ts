import type { DType } from '../dtype.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { sizeOf } from '../tensor.js';
import { Random } from './random.js';
import type { RandomGraphCase } from './random-graph.js';
import { outputFrac } from './random-wide-mac-graph.js';

/**
 * `count` i16 values: uniform over the whole range, only the extremes −32768 and 32767, or a mix
 * of both (signed extremes are where a packed lane's offset or sign handling would break).
 */
function i16Values(rng: Random, count: number): Int32Array {
  const mode = rng.int(0, 2);
  const out = rng.ints(count, -32768, 32767);
  for (let k = 0; k < count; k++) {
    if (mode === 1 || (mode === 2 && rng.next() < 0.5)) out[k] = rng.next() < 0.5 ? -32768 : 32767;
  }
  return out;
}

/**
 * Random Conv graphs of i16 activations and i16 weights with two or three kernel columns (the
 * recognizer's 1×3 and the detector's 3×3 convolutions; issue 15), the shapes ConvKernels' packed
 * three-tap dot reads: any kernel rows, strides, pads (so clipped taps at both borders), row
 * dilation, sometimes groups, up to 480 taps an output (onnxruntime's exact float32 chunks of all-extreme products), and activations and weights that
 * are often all −32768/32767.
 */
export function randomConvTapsGraph(seed: number): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const kh = rng.int(1, 3);
  const kw = rng.int(2, 3);
  const group = rng.next() < 0.2 ? rng.int(2, 3) : 1;
  const perGroup = rng.next() < 0.25 ? rng.int(40, Math.floor(480 / (kh * kw))) : rng.int(1, 8);
  const c = group * perGroup;
  const o = group * rng.int(1, 3);
  const dh = rng.next() < 0.2 ? 2 : 1;
  // Many channels: a small plane, so that a tile's opened input stays a few KiB.
  const many = perGroup > 8;
  const shape = [1, c, rng.int(kh * dh, kh * dh + (many ? 1 : 4)), rng.int(kw, kw + (many ? 2 : 6))];
  const fx = rng.int(0, 10);
  const x = b.input('x', { dtype: 'i16', shape, frac: fx });
  const wShape = [o, perGroup, kh, kw];
  const reduction = perGroup * kh * kw;
  const fracs = Array.from({ length: o }, () => rng.int(8, 18));
  const ins = [
    b.param('w', { dtype: 'i16', shape: wShape, frac: { axis: 0, fracs } }, i16Values(rng, sizeOf(wShape))),
  ];
  if (rng.next() < 0.5) {
    const bias = rng.ints(o, -(2 ** 30), 2 ** 30);
    ins.push(
      b.param(
        'w.bias',
        { dtype: 'i32', shape: [o], frac: { axis: 0, fracs: fracs.map((f) => fx + f) } },
        bias,
      ),
    );
  }
  const out: DType = rng.pick(['i8', 'i16', 'i32'] as const);
  b.output(
    b.op('Conv', [x, ...ins], {
      dtype: out,
      frac: outputFrac(rng, fx + fracs[0]!, reduction, 15, out),
      attrs: {
        strides: [rng.int(1, 2), rng.int(1, 2)],
        pads: [rng.int(0, kh - 1), rng.int(0, kw - 1), rng.int(0, kh - 1), rng.int(0, kw - 1)],
        dilations: [dh, 1],
        group,
      },
    }),
  );
  return {
    model: createModel(b.build(), `random-conv-taps-${seed}`),
    inputs: [{ dtype: 'i16', shape, data: i16Values(rng, sizeOf(shape)) }],
  };
}
