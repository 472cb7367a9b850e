import { type DType, dtypeInfo } from '../dtype.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { sizeOf } from '../tensor.js';
import { Random } from './random.js';
import type { RandomGraphCase } from './random-graph.js';

/**
 * Random graphs around an attention block's integer ops (BatchMatMul of two activations,
 * ReduceMean over the last axis, static Slice): x [B?, H, M, K] → scores = x · xᵀ → scores · x,
 * means of x, of the scores and of the result, a block of the scores and one of x as 5-D;
 * random dtypes and scales (negative ones too).
 */
export function randomAttentionGraph(seed: number): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const act: DType = rng.next() < 0.5 ? 'i8' : 'i16';
  const { min, max } = dtypeInfo(act);
  // One graph in five has PP-OCRv4's rows of 120 (i16 layer norms of that length must stay exact).
  const [M, K] = [rng.int(1, 12), rng.next() < 0.2 ? 120 : rng.int(1, 24)];
  const shape = rng.next() < 0.5 ? [rng.int(1, 4), M, K] : [rng.int(1, 2), rng.int(1, 3), M, K];
  const rank = shape.length;
  const swapLast = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  /** An output type whose range holds a typical sum of `k` random products, give or take. */
  const product = (p: number, q: number, k: number) => {
    const [tp, tq] = [b.typeOf(p), b.typeOf(q)];
    const dtype = (rng.next() < 0.7 ? act : rng.pick(['i8', 'i16'])) as DType;
    const typical = Math.sqrt(k) * dtypeInfo(tp.dtype).max * dtypeInfo(tq.dtype).max;
    const shift = Math.round(Math.log2(typical / dtypeInfo(dtype).max)) + rng.int(-2, 2);
    const frac = (tp.frac as number) + (tq.frac as number) - shift;
    return { dtype, frac: Math.max(-32, Math.min(32, frac)) };
  };
  const x = b.input('x', { dtype: act, shape, frac: rng.int(-2, 8) });
  const xt = b.op('Transpose', [x], { attrs: { perm: swapLast } });
  const scores = b.op('BatchMatMul', [x, xt], product(x, xt, K));
  const mixed = b.op('BatchMatMul', [scores, x], product(scores, x, M));
  for (const v of [x, scores, mixed]) b.output(b.op('ReduceMean', [v]));
  b.output(mixed);
  // Static slices: a random block of the scores, and of x seen as 5-D (as q/k/v are split).
  const block = (of: number) => {
    const dims = b.typeOf(of).shape;
    const starts = dims.map((d) => rng.int(0, d - 1));
    return { starts, ends: starts.map((s0, i) => rng.int(s0 + 1, dims[i]!)) };
  };
  b.output(b.op('Slice', [scores], { attrs: block(scores) }));
  // Layer norms of x and of the result, ε from the smallest allowed to a large one.
  for (const v of [x, mixed]) {
    const epsilon = rng.next() < 0.3 ? K : rng.int(K, K * 10 ** rng.int(1, 6));
    const dtype = b.typeOf(v).dtype;
    b.output(
      b.op('LayerNorm', [v], { dtype, frac: rng.int(0, dtype === 'i8' ? 7 : 12), attrs: { epsilon } }),
    );
  }
  const five = b.op('Reshape', [x], { attrs: { shape: [1, ...(rank === 4 ? shape : [1, ...shape])] } });
  b.output(b.op('Slice', [five], { attrs: block(five) }));
  const model = createModel(b.build(), `random-attention-${seed}`);
  return { model, inputs: [{ dtype: act, shape, data: rng.ints(sizeOf(shape), min, max) }] };
}
