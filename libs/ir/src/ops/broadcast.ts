import { formatShape, sameShape, stridesOf } from '../tensor.js';

/** Numpy-style broadcast of two shapes, or a message naming both shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | string {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      return `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (dimension ${i}: ${da} vs ${db})`;
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Maps output flat indices to the flat index of an input broadcast to the output shape.
 * Returns the identity for equal shapes and a constant 0 for single-element inputs.
 */
export function broadcastIndexer(input: readonly number[], output: readonly number[]): (i: number) => number {
  if (sameShape(input, output)) return (i) => i;
  if (input.every((d) => d === 1)) return () => 0;
  const rank = output.length;
  const inStrides = stridesOf(input);
  const strides = output.map((_d, i) => {
    const k = i - (rank - input.length);
    return k < 0 || input[k] === 1 ? 0 : inStrides[k]!;
  });
  const outStrides = stridesOf(output);
  return (i) => {
    let index = 0;
    let rest = i;
    for (let d = 0; d < rank; d++) {
      const coord = Math.floor(rest / outStrides[d]!);
      rest -= coord * outStrides[d]!;
      index += coord * strides[d]!;
    }
    return index;
  };
}
