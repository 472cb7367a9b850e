import { formatShape, stridesOf } from '../tensor.js';
import { movesValues, passThroughProblems } from './layout.js';
import { intsAttr, type OpDefinition } from './op.js';

/**
 * Slice : x → the block x[starts[0]..ends[0]), …, starts[r−1]..ends[r−1]) (step 1 on every
 * axis, 0 ≤ start < end ≤ dim), values unchanged. PP-OCRv4's recognizer splits its fused
 * q/k/v activations [3, B, heads, T, d] this way.
 */
export const Slice: OpDefinition = {
  ...movesValues,
  name: 'Slice',
  code: 43,
  minInputs: 1,
  maxInputs: 1,
  attrs: { starts: { kind: 'ints' }, ends: { kind: 'ints' } },
  inferShape(inTypes, attrs) {
    const shape = inTypes[0]!.shape;
    const [starts, ends] = [intsAttr(attrs, 'starts'), intsAttr(attrs, 'ends')];
    if (starts.length !== shape.length || ends.length !== shape.length)
      return `starts and ends need one index per axis of ${formatShape(shape)}`;
    if (shape.some((d, i) => !(0 <= starts[i]! && starts[i]! < ends[i]! && ends[i]! <= d)))
      return `[${starts.join(',')}] .. [${ends.join(',')}) is not a non-empty block of ${formatShape(shape)}`;
    return shape.map((_, i) => ends[i]! - starts[i]!);
  },
  check: ({ inTypes, outType }) => passThroughProblems(inTypes, outType),
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const x = inputs[0]!;
    const inStrides = stridesOf(inTypes[0]!.shape);
    const outStrides = stridesOf(outType.shape);
    const starts = intsAttr(attrs, 'starts');
    const offset = starts.reduce((sum, s, d) => sum + s * inStrides[d]!, 0);
    for (let i = start; i < end; i++) {
      let rest = i;
      let src = offset;
      for (let d = 0; d < outStrides.length; d++) {
        const coord = Math.floor(rest / outStrides[d]!);
        rest -= coord * outStrides[d]!;
        src += coord * inStrides[d]!;
      }
      out[i] = x[src]!;
    }
  },
};
