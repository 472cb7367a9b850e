import { formatType, type TensorType } from '../graph/types.js';
import { formatShape, sizeOf, stridesOf } from '../tensor.js';
import { intAttr, intsAttr, type OpDefinition, perTensorProblems } from './op.js';

export const movesValues = {
  elementWork: () => 1,
  tileGranule: () => 1,
};

/** Layout ops move values without changing them: dtype and scale pass through unchanged. */
export function passThroughProblems(inputs: readonly TensorType[], output: TensorType): string[] {
  const problems = perTensorProblems(
    [...inputs, output],
    [...inputs.map((_, i) => `input ${i}`), 'the output'],
  );
  if (problems.length > 0) return problems;
  inputs.forEach((t, i) => {
    if (t.dtype !== output.dtype || t.frac !== output.frac) {
      problems.push(
        `input ${i} (${formatType(t)}) must have the output's dtype ${output.dtype} and frac ${output.frac}`,
      );
    }
  });
  return problems;
}

/** Same values in row-major order under a new, fully specified shape. */
export const Reshape: OpDefinition = {
  ...movesValues,
  name: 'Reshape',
  code: 40,
  minInputs: 1,
  maxInputs: 1,
  attrs: { shape: { kind: 'ints' } },
  inferShape(inTypes, attrs) {
    const shape = intsAttr(attrs, 'shape');
    if (shape.some((d) => !Number.isInteger(d) || d < 1))
      return `shape ${formatShape(shape)} must be positive integers`;
    if (sizeOf(shape) !== sizeOf(inTypes[0]!.shape)) {
      return `cannot reshape ${formatShape(inTypes[0]!.shape)} (${sizeOf(inTypes[0]!.shape)} values) to ${formatShape(shape)}`;
    }
    return [...shape];
  },
  check: ({ inTypes, outType }) => passThroughProblems(inTypes, outType),
  kernel({ inputs }, out, start, end) {
    out.set(inputs[0]!.subarray(start, end), start);
  },
};

/**
 * Tile work of one Transpose output (docs/semantics.md §4): 32, so a tile is 4 outputs. Consecutive
 * outputs of a Transpose that moves the last axis lie a whole plane apart in its input (NCHW ↔
 * NHWC: 128 outputs read 128 chunks, 2–5M gas settled whole); 4 outputs read at most 4 runs.
 */
const TRANSPOSE_ELEMENT_WORK = 32;

/** y[i_perm[0], ..., i_perm[r-1]] = x[i_0, ..., i_{r-1}]: output axis d is input axis perm[d]. */
export const Transpose: OpDefinition = {
  ...movesValues,
  elementWork: () => TRANSPOSE_ELEMENT_WORK,
  name: 'Transpose',
  code: 41,
  minInputs: 1,
  maxInputs: 1,
  attrs: { perm: { kind: 'ints' } },
  inferShape(inTypes, attrs) {
    const perm = intsAttr(attrs, 'perm');
    const rank = inTypes[0]!.shape.length;
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== rank || sorted.some((p, i) => p !== i)) {
      return `perm [${perm.join(',')}] is not a permutation of the ${rank} input axes`;
    }
    return perm.map((p) => inTypes[0]!.shape[p]!);
  },
  check: ({ inTypes, outType }) => passThroughProblems(inTypes, outType),
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const x = inputs[0]!;
    const perm = intsAttr(attrs, 'perm');
    const inStrides = stridesOf(inTypes[0]!.shape);
    const strides = perm.map((p) => inStrides[p]!);
    const outStrides = stridesOf(outType.shape);
    for (let i = start; i < end; i++) {
      let rest = i;
      let src = 0;
      for (let d = 0; d < outStrides.length; d++) {
        const coord = Math.floor(rest / outStrides[d]!);
        rest -= coord * outStrides[d]!;
        src += coord * strides[d]!;
      }
      out[i] = x[src]!;
    }
  },
};

/** Joins inputs along `axis`; all inputs share the output's dtype and frac. */
export const Concat: OpDefinition = {
  ...movesValues,
  name: 'Concat',
  code: 42,
  minInputs: 1,
  maxInputs: 64,
  attrs: { axis: { kind: 'int' } },
  inferShape(inTypes, attrs) {
    const axis = intAttr(attrs, 'axis');
    const first = inTypes[0]!.shape;
    if (axis < 0 || axis >= first.length) return `axis ${axis} is out of range for rank ${first.length}`;
    let total = 0;
    for (const [i, t] of inTypes.entries()) {
      if (t.shape.length !== first.length || t.shape.some((d, k) => k !== axis && d !== first[k])) {
        return `input ${i} has shape ${formatShape(t.shape)}, which differs from ${formatShape(first)} outside axis ${axis}`;
      }
      total += t.shape[axis]!;
    }
    return first.map((d, k) => (k === axis ? total : d));
  },
  check: ({ inTypes, outType }) => passThroughProblems(inTypes, outType),
  kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
    const axis = intAttr(attrs, 'axis');
    const inner = sizeOf(outType.shape.slice(axis + 1));
    const outRow = outType.shape[axis]! * inner;
    const offsets: number[] = [];
    let offset = 0;
    for (const t of inTypes) {
      offsets.push(offset);
      offset += t.shape[axis]! * inner;
    }
    for (let i = start; i < end; i++) {
      const outer = Math.floor(i / outRow);
      const within = i - outer * outRow;
      let k = offsets.length - 1;
      while (offsets[k]! > within) k--;
      const rowSize = inTypes[k]!.shape[axis]! * inner;
      out[i] = inputs[k]![outer * rowSize + within - offsets[k]!]!;
    }
  },
};
