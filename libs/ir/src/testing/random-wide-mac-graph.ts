import { type DType, dtypeInfo } from '../dtype.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { sizeOf } from '../tensor.js';
import { Random } from './random.js';
import type { RandomGraphCase } from './random-graph.js';

/**
 * i16 weights of one MAC: per channel, a magnitude class (tiny, typical, or up to the dtype's
 * extremes, −32768 included), so products and byte splits reach their bounds.
 */
function wideWeights(rng: Random, channels: number, reduction: number, full: boolean): Int32Array {
  const out = new Int32Array(channels * reduction);
  for (let c = 0; c < channels; c++) {
    const roll = full ? 1 : rng.next();
    const [lo, hi] = roll < 0.15 ? [-300, 300] : roll < 0.75 ? [-9000, 9000] : [-32768, 32767];
    out.set(rng.ints(reduction, lo, hi), c * reduction);
    if (roll >= 0.9) out[c * reduction] = rng.next() < 0.5 ? -32768 : 32767;
  }
  return out;
}

/** An output frac that keeps a typical accumulator inside the output dtype, sometimes saturating. */
export function outputFrac(
  rng: Random,
  accFrac: number,
  reduction: number,
  inBits: number,
  out: DType,
): number {
  const typicalBits = inBits + 13 + Math.ceil(Math.log2(reduction) / 2);
  const outBits = out === 'i8' ? 7 : out === 'i16' ? 15 : 31;
  return accFrac - (typicalBits - outBits) + rng.int(-2, 2);
}

/**
 * Random graphs of MatMul and Conv with i16 parameter weights (issue 15's i16 × i16 MAC): i8 or
 * i16 inputs, per-channel weight fracs, an i32 bias or none, any output dtype; Conv with
 * strides, pads, dilations, sometimes groups; about one graph in five with a reduction wide
 * enough (≥ 800 taps of full-range weights) that the onnxruntime lowering must cut it into chunks.
 */
export function randomWideMacGraph(seed: number): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const act: DType = rng.next() < 0.7 ? 'i16' : 'i8';
  const inBits = act === 'i16' ? 15 : 7;
  const fx = rng.int(0, 10);
  const wide = rng.next() < 0.2;
  const pickOut = (): DType => (rng.next() < 0.5 ? 'i16' : rng.next() < 0.5 ? 'i8' : 'i32');
  const macParams = (name: string, shape: number[], accFracOf: (fw: number) => number) => {
    const channels = shape[0]!;
    const reduction = sizeOf(shape) / channels;
    const fracs = Array.from({ length: channels }, () => rng.int(8, 18));
    const w = b.param(
      name,
      { dtype: 'i16', shape, frac: { axis: 0, fracs } },
      // Wide reductions get full-range weights, so that their byte sums need several chunks.
      wideWeights(rng, channels, reduction, wide),
    );
    if (rng.next() < 0.3) return { ins: [w], reduction, fracs };
    const bias = b.param(
      `${name}.bias`,
      { dtype: 'i32', shape: [channels], frac: { axis: 0, fracs: fracs.map(accFracOf) } },
      rng.ints(channels, -(2 ** 30), 2 ** 30),
    );
    return { ins: [w, bias], reduction, fracs };
  };

  if (rng.next() < 0.35) {
    const k = wide ? rng.int(800, 1100) : rng.int(1, 200);
    const shape = [rng.int(1, 4), k];
    const x = b.input('x', { dtype: act, shape, frac: fx });
    const n = rng.int(1, 12);
    const p = macParams('w', [n, k], (fw) => fx + fw);
    const out = pickOut();
    b.output(
      b.op('MatMul', [x, ...p.ins], { dtype: out, frac: outputFrac(rng, fx + p.fracs[0]!, k, inBits, out) }),
    );
    return { model: createModel(b.build(), `random-wide-mac-${seed}`), inputs: [input(rng, act, shape)] };
  }
  const kh = rng.int(1, 3);
  const kw = rng.int(1, 3);
  const grouped = !wide && rng.next() < 0.2;
  const group = grouped ? rng.int(2, 3) : 1;
  const c = wide ? rng.int(Math.ceil(800 / (kh * kw)), Math.ceil(1100 / (kh * kw))) : group * rng.int(1, 6);
  const o = group * rng.int(1, grouped ? 3 : 6);
  const [dh, dw] = [rng.next() < 0.2 ? 2 : 1, 1];
  const shape = [1, c, rng.int(kh * dh, kh * dh + 5), rng.int(kw, kw + 6)];
  const x = b.input('x', { dtype: act, shape, frac: fx });
  const p = macParams('w', [o, c / group, kh, kw], (fw) => fx + fw);
  const out = pickOut();
  b.output(
    b.op('Conv', [x, ...p.ins], {
      dtype: out,
      frac: outputFrac(rng, fx + p.fracs[0]!, p.reduction, inBits, out),
      attrs: {
        strides: [rng.int(1, 2), rng.int(1, 2)],
        pads: [rng.int(0, kh - 1), rng.int(0, kw - 1), rng.int(0, kh - 1), rng.int(0, kw - 1)],
        dilations: [dh, dw],
        group,
      },
    }),
  );
  return { model: createModel(b.build(), `random-wide-mac-${seed}`), inputs: [input(rng, act, shape)] };
}

/** Random inputs, the dtype's extremes included. */
function input(rng: Random, dtype: DType, shape: number[]) {
  const { min, max } = dtypeInfo(dtype);
  const data = rng.ints(sizeOf(shape), min, max);
  data[0] = min;
  if (data.length > 1) data[data.length - 1] = max;
  return { dtype, shape, data };
}
