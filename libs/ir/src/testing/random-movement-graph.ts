import { type DType, dtypeInfo } from '../dtype.js';
import { GraphBuilder } from '../graph/builder.js';
import { createModel } from '../model.js';
import { sizeOf } from '../tensor.js';
import { Random } from './random.js';
import type { RandomGraphCase } from './random-graph.js';

/**
 * Random graphs of the ops whose Solidity kernels copy runs or evaluate expNeg in assembly
 * (Transpose, Concat, Slice, Sigmoid, Tanh, Softmax): x of rank 2–5 → a random permutation,
 * a Concat of x with slices of x along a random axis, slices that keep inner axes whole (long
 * contiguous runs) or cut them (short ones), and the three non-linear ops with random
 * input and output scales (the input frac from −4, so that expNeg's integer part is exercised).
 */
export function randomMovementGraph(seed: number): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const act: DType = rng.next() < 0.5 ? 'i8' : 'i16';
  const { min, max } = dtypeInfo(act);
  const rank = rng.int(2, 5);
  const shape = Array.from({ length: rank }, (_, d) => (d === rank - 1 ? rng.int(1, 40) : rng.int(1, 6)));
  const x = b.input('x', { dtype: act, shape, frac: rng.int(-4, act === 'i8' ? 7 : 13) });
  const perm = [...shape.keys()].sort(() => rng.next() - 0.5);
  // Half the permutations keep the last axis last (runs of a row), as the recognizer's do.
  if (rng.next() < 0.5) {
    perm.splice(perm.indexOf(rank - 1), 1);
    perm.push(rank - 1);
  }
  b.output(b.op('Transpose', [x], { attrs: { perm } }));
  /** A random block; with `wholeInner`, every axis after a random one is kept whole. */
  const block = (dims: readonly number[], wholeInner: boolean) => {
    const cut = rng.int(0, dims.length - 1);
    const starts = dims.map((d, i) => (wholeInner && i > cut ? 0 : rng.int(0, d - 1)));
    const ends = starts.map((s0, i) => (wholeInner && i > cut ? dims[i]! : rng.int(s0 + 1, dims[i]!)));
    return { starts, ends };
  };
  b.output(b.op('Slice', [x], { attrs: block(shape, rng.next() < 0.5) }));
  // Concat along `axis`: every part equals x's shape except on the axis.
  const axis = rng.int(0, rank - 1);
  const alongAxis = () => {
    const starts = shape.map(() => 0);
    const ends = [...shape];
    starts[axis] = rng.int(0, shape[axis]! - 1);
    ends[axis] = rng.int(starts[axis]! + 1, shape[axis]!);
    return b.op('Slice', [x], { attrs: { starts, ends } });
  };
  const parts = [x, ...Array.from({ length: rng.int(1, 2) }, alongAxis)].sort(() => rng.next() - 0.5);
  b.output(b.op('Concat', parts, { attrs: { axis } }));
  for (const op of ['Sigmoid', 'Tanh', 'Softmax']) {
    const dtype = rng.pick<DType>(['i8', 'i16']);
    b.output(b.op(op, [x], { dtype, frac: rng.int(0, dtype === 'i8' ? 7 : 15) }));
  }
  const model = createModel(b.build(), `random-movement-${seed}`);
  return { model, inputs: [{ dtype: act, shape, data: rng.ints(sizeOf(shape), min, max) }] };
}
