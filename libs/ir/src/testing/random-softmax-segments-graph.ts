import { type DType, dtypeInfo } from '../dtype.js';
import { EXP_FRAC } from '../fixed-point.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { sizeOf } from '../tensor.js';
import { Random } from './random.js';
import type { RandomGraphCase } from './random-graph.js';

/**
 * Random graphs of a long-row softmax split into SegmentMax, SoftmaxSegmentSum and
 * SoftmaxNormalize (outputs 0–2), beside the one-step Softmax of the same input (output 3),
 * whose integers the split must reproduce: rows from 1 to 1,400 values, segments from 1 to 600
 * (a row of one segment, segments that divide it, a short last one), i8 or i16 inputs with fracs
 * from −4 (expNeg's integer part), output fracs over the dtype's range, and rows of one repeated
 * value or with a few large outliers.
 */
export function randomSoftmaxSegmentsGraph(seed: number): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const act: DType = rng.next() < 0.5 ? 'i8' : 'i16';
  const { min, max } = dtypeInfo(act);
  const row = rng.next() < 0.2 ? rng.int(1, 40) : rng.int(40, 1_400);
  const shape = [...Array.from({ length: rng.int(0, 2) }, () => rng.int(1, 3)), row];
  const segment = rng.next() < 0.1 ? row + rng.int(0, 5) : rng.int(1, 600);
  const x = b.input('x', { dtype: act, shape, frac: rng.int(-4, act === 'i8' ? 7 : 12) });
  const attrs = { segment };
  const m = b.op('SegmentMax', [x], { attrs });
  const s = b.op('SoftmaxSegmentSum', [x, m], { dtype: 'i32', frac: EXP_FRAC, attrs });
  const dtype = rng.pick<DType>(['i8', 'i16']);
  const frac = rng.int(0, dtype === 'i8' ? 7 : 15);
  b.output(m);
  b.output(s);
  b.output(b.op('SoftmaxNormalize', [x, m, s], { dtype, frac }));
  b.output(b.op('Softmax', [x], { dtype, frac }));
  const data = rng.ints(sizeOf(shape), min, max);
  const roll = rng.next();
  if (roll < 0.1) data.fill(rng.int(min, max));
  else if (roll < 0.3) for (let k = 0; k < 3; k++) data[rng.int(0, data.length - 1)] = max;
  const model = createModel(b.build(), `random-softmax-segments-${seed}`);
  return { model, inputs: [{ dtype: act, shape, data }] };
}
