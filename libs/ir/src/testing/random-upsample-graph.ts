import { type DType, dtypeInfo } from '../dtype.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { sizeOf } from '../tensor.js';
import { Random } from './random.js';
import type { RandomGraphCase } from './random-graph.js';

/**
 * Random graphs of a DB text detector's upsampling ops: nearest Resize by whole factors and
 * ConvTranspose (strides 1–3, kernels 1–4, pads, with and without bias, per-channel weight
 * scales), on i8 or i16 activations, outputs i8, i16 or i32 at random fracs.
 */
export function randomUpsampleGraph(seed: number): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const act: DType = rng.next() < 0.6 ? 'i8' : 'i16';
  const shape = [rng.int(1, 2), rng.int(1, 4), rng.int(1, 6), rng.int(1, 6)];
  const x = b.input('x', { dtype: act, shape, frac: rng.int(-2, 8) });
  const resized = b.op('Resize', [x], { attrs: { scales: [rng.int(1, 4), rng.int(1, 4)] } });
  const from = rng.next() < 0.5 ? x : resized;
  const c = b.typeOf(from).shape[1]!;
  const [o, kh, kw] = [rng.int(1, 4), rng.int(1, 4), rng.int(1, 4)];
  const strides = [rng.int(1, 3), rng.int(1, 3)];
  const [h, w] = b.typeOf(from).shape.slice(2) as [number, number];
  const span = (size: number, stride: number, k: number) => (size - 1) * stride + k;
  // Pads at either end of an axis, each at most 2, leaving at least one output.
  const pads = (room: number) => {
    const first = rng.int(0, Math.min(2, room - 1));
    return [first, rng.int(0, Math.min(2, room - 1 - first))] as const;
  };
  const [pt, pb] = pads(span(h, strides[0]!, kh));
  const [pl, pr] = pads(span(w, strides[1]!, kw));
  const fracs = Array.from({ length: o }, () => rng.int(0, 8));
  const weights = b.param(
    'w',
    { dtype: 'i8', shape: [o, c, kh, kw], frac: { axis: 0, fracs } },
    rng.ints(o * c * kh * kw, -128, 127),
  );
  const fx = b.typeOf(from).frac as number;
  const inputs = [from, weights];
  if (rng.next() < 0.6) {
    inputs.push(
      b.param(
        'bias',
        { dtype: 'i32', shape: [o], frac: { axis: 0, fracs: fracs.map((f) => f + fx) } },
        rng.ints(o, -20000, 20000),
      ),
    );
  }
  const outDtype: DType = rng.pick(['i8', 'i16', 'i32'] as const);
  b.output(
    b.op('ConvTranspose', inputs, {
      dtype: outDtype,
      frac: rng.int(-2, 10),
      attrs: { strides, pads: [pt, pl, pb, pr] },
    }),
  );
  if (from !== resized) b.output(resized);
  const model = createModel(b.build(), `random-upsample-${seed}`);
  const { min, max } = dtypeInfo(act);
  return { model, inputs: [{ dtype: act, shape, data: rng.ints(sizeOf(shape), min, max) }] };
}
