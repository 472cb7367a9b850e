import { type DType, dtypeInfo } from '../dtype.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { HARD_SIGMOID_FRAC } from '../ops/activation.js';
import { sizeOf } from '../tensor.js';
import { Random } from './random.js';
import type { RandomGraphCase } from './random-graph.js';

/**
 * Random graphs around the activations PP-OCR's MobileNetV3 needs (Clip, HardSigmoid, and the
 * HardSwish written out as Add, Clip, Mul, Mul): random dtypes, scales (negative ones too),
 * bounds inside and outside the dtype's range, slopes and offsets of either sign.
 */
export function randomActivationGraph(seed: number): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const act: DType = rng.next() < 0.6 ? 'i8' : 'i16';
  const { min, max } = dtypeInfo(act);
  const shape =
    rng.next() < 0.5
      ? [rng.int(1, 2), rng.int(1, 5), rng.int(2, 9), rng.int(2, 9)]
      : [rng.int(1, 4), rng.int(4, 300)];
  let x = b.input('x', { dtype: act, shape, frac: rng.int(-2, 8) });
  const clipBound = () => (rng.next() < 0.2 ? rng.int(-5 * max, 5 * max) : rng.int(min, max));
  const clip = (from: number) => {
    const [lo, hi] = [clipBound(), clipBound()].sort((p, q) => p - q) as [number, number];
    return b.op('Clip', [from], { attrs: { min: lo, max: hi } });
  };
  const hardSigmoid = (from: number) =>
    b.op('HardSigmoid', [from], {
      dtype: act,
      frac: rng.int(0, act === 'i8' ? 8 : 16),
      attrs: {
        alpha: rng.int(-(2 ** HARD_SIGMOID_FRAC), 2 ** HARD_SIGMOID_FRAC),
        beta: rng.int(-(2 ** (HARD_SIGMOID_FRAC + 1)), 2 ** (HARD_SIGMOID_FRAC + 1)),
      },
    });
  const steps = rng.int(2, 5);
  for (let s = 0; s < steps; s++) {
    const roll = rng.next();
    if (roll < 0.35) x = clip(x);
    else if (roll < 0.7) x = hardSigmoid(x);
    else {
      // HardSwish as the classifier writes it: x · clip(x + 3, 0, 6) · (1/6).
      const t = b.typeOf(x);
      const f = t.frac as number;
      const three = b.param(`three${s}`, { dtype: 'i16', shape: [1], frac: 8 }, [3 * 256]);
      const shifted = b.op('Add', [x, three], { dtype: act, frac: f });
      const relu6 = b.op('Clip', [shifted], { attrs: { min: 0, max: Math.round(6 * 2 ** f) } });
      const product = b.op('Mul', [x, relu6], { dtype: act, frac: rng.int(-1, 8) });
      const sixth = b.param(`sixth${s}`, { dtype: 'i16', shape: [1], frac: 15 }, [Math.round(2 ** 15 / 6)]);
      x = b.op('Mul', [product, sixth], { dtype: act, frac: rng.int(-1, 8) });
    }
  }
  b.output(x);
  const model = createModel(b.build(), `random-activation-${seed}`);
  return { model, inputs: [{ dtype: act, shape, data: rng.ints(sizeOf(shape), min, max) }] };
}
