import { broadcastIndexer, broadcastShapes } from '../ops/broadcast.js';
import { sizeOf } from '../tensor.js';
import type { FloatNode, FloatTensor } from './float-graph.js';

export interface FloatOp {
  /** Output shape, or a message naming what does not fit. */
  shape(
    inputs: readonly (readonly number[])[],
    node: FloatNode,
    constants: readonly (FloatTensor | undefined)[],
  ): number[] | string;
  run(inputs: readonly FloatTensor[], node: FloatNode, outShape: readonly number[]): Float64Array;
}

/** A binary op on broadcast operands, one `f` per output element. */
export function elementwise(f: (a: number, b: number) => number): FloatOp {
  return {
    shape: ([a, b]) => broadcastShapes(a!, b!),
    run([a, b], _node, outShape) {
      const ia = broadcastIndexer(a!.shape, outShape);
      const ib = broadcastIndexer(b!.shape, outShape);
      const out = new Float64Array(sizeOf(outShape));
      for (let i = 0; i < out.length; i++) out[i] = f(a!.data[ia(i)]!, b!.data[ib(i)]!);
      return out;
    },
  };
}
