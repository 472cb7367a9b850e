import { formatType, type TensorType } from '../graph/types.js';
import { sizeOf } from '../tensor.js';
import { movesValues } from './layout.js';
import { type OpDefinition, perTensorProblems } from './op.js';

/**
 * Gather (axis 0) : table [V, ...], indices [...] (integers, frac 0) → y [...indices, ...]:
 * y[i, ...] = table[indices[i], ...], values unchanged (the output has the table's dtype and
 * frac). An index outside [0, V) is an error, never a clamp. A GPT's token embedding.
 */
export const Gather: OpDefinition = {
  ...movesValues,
  name: 'Gather',
  code: 70,
  minInputs: 2,
  maxInputs: 2,
  attrs: {},
  inferShape(inTypes) {
    const [table, indices] = [inTypes[0]!.shape, inTypes[1]!.shape];
    if (table.length < 1) return 'the table must have rank ≥ 1';
    return [...indices, ...table.slice(1)];
  },
  check({ inTypes, outType }) {
    const [table, indices] = inTypes as [TensorType, TensorType];
    const problems = perTensorProblems([table, indices, outType], ['the table', 'the indices', 'the output']);
    if (problems.length > 0) return problems;
    if (indices.frac !== 0) problems.push(`the indices (${formatType(indices)}) must be integers at frac 0`);
    if (table.dtype !== outType.dtype || table.frac !== outType.frac)
      problems.push(`the output must have the table's dtype ${table.dtype} and frac ${table.frac}`);
    return problems;
  },
  kernel({ inputs, inTypes }, out, start, end) {
    const [table, indices] = inputs as [Int32Array, Int32Array];
    const rows = inTypes[0]!.shape[0]!;
    const row = sizeOf(inTypes[0]!.shape.slice(1));
    for (let i = start; i < end; i++) {
      const position = Math.floor(i / row);
      const index = indices[position]!;
      if (index < 0 || index >= rows)
        throw new RangeError(`Gather: index ${index} at position ${position} is outside [0, ${rows})`);
      out[i] = table[index * row + (i % row)]!;
    }
  },
};
