import { type DType, dtypeInfo } from '../dtype.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { sizeOf } from '../tensor.js';
import { Random } from './random.js';
import type { RandomGraphCase } from './random-graph.js';

/**
 * Random graphs of a GPT's own ops (issue #16): a token embedding (Gather of a random table by
 * in-range indices), Gelu of it and of a raw activation, and CausalSoftmax of scores
 * [H, M, N] with N ≥ M; random dtypes and scales (negative input fracs too).
 */
export function randomTextGraph(seed: number): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const act: DType = rng.next() < 0.5 ? 'i8' : 'i16';
  const [V, D, T] = [rng.int(1, 40), rng.int(1, 24), rng.int(1, 16)];
  const table = b.param(
    'table',
    { dtype: act, shape: [V, D], frac: rng.int(0, 8) },
    randomOf(rng, act, V * D),
  );
  const indices = b.input('indices', { dtype: 'i32', shape: [T], frac: 0 });
  const embedded = b.op('Gather', [table, indices], {});
  const outFrac = () => rng.int(0, act === 'i8' ? 7 : 12);
  b.output(b.op('Gelu', [embedded], { dtype: act, frac: outFrac() }));
  const x = b.input('x', { dtype: act, shape: [rng.int(1, 3), rng.int(1, 40)], frac: rng.int(-2, 10) });
  b.output(b.op('Gelu', [x], { dtype: rng.next() < 0.5 ? act : 'i16', frac: outFrac() }));
  const M = rng.int(1, 12);
  const scoresShape = [rng.int(1, 3), M, M + (rng.next() < 0.5 ? 0 : rng.int(1, 8))];
  const scores = b.input('scores', { dtype: act, shape: scoresShape, frac: rng.int(-1, 8) });
  b.output(b.op('CausalSoftmax', [scores], { dtype: act, frac: outFrac() }));
  const model = createModel(b.build(), `random-text-${seed}`);
  const xShape = b.typeOf(x).shape;
  return {
    model,
    inputs: [
      { dtype: 'i32', shape: [T], data: rng.ints(T, 0, V - 1) },
      { dtype: act, shape: [...xShape], data: randomOf(rng, act, sizeOf(xShape)) },
      { dtype: act, shape: scoresShape, data: randomOf(rng, act, sizeOf(scoresShape)) },
    ],
  };
}

function randomOf(rng: Random, dtype: DType, count: number): Int32Array {
  const { min, max } = dtypeInfo(dtype);
  return rng.ints(count, min, max);
}
