import { requantize } from '../fixed-point.js';
import { formatType, frac, type TensorType } from '../graph/types.js';
import { sameShape } from '../tensor.js';
import { broadcastIndexer, broadcastShapes } from './broadcast.js';
import { INTERMEDIATE_LIMIT, type KernelArgs, maxAbsOf, type OpDefinition, perTensorProblems } from './op.js';

const elementOp = {
  maxInputs: 2,
  elementWork: () => 1,
  tileGranule: () => 1,
};

/**
 * Tile work of one Add, Sub or Mul output (op-set version 2): reading two broadcast operands
 * costs the Solidity kernel 2–5k gas per element where other ops cost ≤ 1.1k per unit.
 */
export const BINARY_ELEMENT_WORK = 4;
const binaryOp = { ...elementOp, elementWork: () => BINARY_ELEMENT_WORK };

type Combine = (a: number, b: number, shiftA: number, shiftB: number) => number;

/** Add and Sub: align both inputs to the larger frac F, combine exactly, round to the output frac. */
function alignedBinary(name: string, code: number, combine: Combine): OpDefinition {
  return {
    ...binaryOp,
    name,
    code,
    minInputs: 2,
    attrs: {},
    inferShape: (inTypes) => broadcastShapes(inTypes[0]!.shape, inTypes[1]!.shape),
    check({ inTypes, outType, constants }) {
      const problems = perTensorProblems([...inTypes, outType], ['input 0', 'input 1', 'the output']);
      if (problems.length > 0) return problems;
      const [a, b] = inTypes as [TensorType, TensorType];
      const F = Math.max(frac(a), frac(b));
      const bound =
        maxAbsOf(a, constants[0]) * 2 ** (F - frac(a)) + maxAbsOf(b, constants[1]) * 2 ** (F - frac(b));
      if (bound >= INTERMEDIATE_LIMIT) {
        problems.push(
          `aligned sum may reach ${bound}, over the 2^47 intermediate bound (fracs too far apart)`,
        );
      }
      return problems;
    },
    kernel({ inputs, inTypes, outType }, out, start, end) {
      const [a, b] = inputs as [Int32Array, Int32Array];
      const F = Math.max(frac(inTypes[0]!), frac(inTypes[1]!));
      const sa = 2 ** (F - frac(inTypes[0]!));
      const sb = 2 ** (F - frac(inTypes[1]!));
      const fo = frac(outType);
      const ia = broadcastIndexer(inTypes[0]!.shape, outType.shape);
      const ib = broadcastIndexer(inTypes[1]!.shape, outType.shape);
      for (let i = start; i < end; i++) {
        out[i] = requantize(combine(a[ia(i)]!, b[ib(i)]!, sa, sb), F, fo, outType.dtype);
      }
    },
  };
}

export const Add = alignedBinary('Add', 10, (a, b, sa, sb) => a * sa + b * sb);
export const Sub = alignedBinary('Sub', 11, (a, b, sa, sb) => a * sa - b * sb);

export const Mul: OpDefinition = {
  ...binaryOp,
  name: 'Mul',
  code: 12,
  minInputs: 2,
  attrs: {},
  inferShape: (inTypes) => broadcastShapes(inTypes[0]!.shape, inTypes[1]!.shape),
  check({ inTypes, outType, constants }) {
    const problems = perTensorProblems([...inTypes, outType], ['input 0', 'input 1', 'the output']);
    const bound = maxAbsOf(inTypes[0]!, constants[0]) * maxAbsOf(inTypes[1]!, constants[1]);
    if (bound >= INTERMEDIATE_LIMIT) problems.push(`product may reach ${bound}, over the 2^47 bound`);
    return problems;
  },
  kernel({ inputs, inTypes, outType }, out, start, end) {
    const [a, b] = inputs as [Int32Array, Int32Array];
    const F = frac(inTypes[0]!) + frac(inTypes[1]!);
    const fo = frac(outType);
    const ia = broadcastIndexer(inTypes[0]!.shape, outType.shape);
    const ib = broadcastIndexer(inTypes[1]!.shape, outType.shape);
    for (let i = start; i < end; i++) out[i] = requantize(a[ia(i)]! * b[ib(i)]!, F, fo, outType.dtype);
  },
};

/** Unary ops whose output keeps the input's shape; the check is on dtype and scale. */
function unary(
  name: string,
  code: number,
  check: (input: TensorType, output: TensorType) => string[],
  apply: (args: KernelArgs) => (x: number) => number,
): OpDefinition {
  return {
    ...elementOp,
    name,
    code,
    minInputs: 1,
    maxInputs: 1,
    attrs: {},
    inferShape: (inTypes) => [...inTypes[0]!.shape],
    check: ({ inTypes, outType }) => {
      const problems = perTensorProblems([inTypes[0]!, outType], ['the input', 'the output']);
      return problems.length > 0 ? problems : check(inTypes[0]!, outType);
    },
    kernel(args, out, start, end) {
      const x = args.inputs[0]!;
      const f = apply(args);
      for (let i = start; i < end; i++) out[i] = f(x[i]!);
    },
  };
}

export function sameTypeProblems(input: TensorType, output: TensorType): string[] {
  if (input.dtype === output.dtype && input.frac === output.frac && sameShape(input.shape, output.shape))
    return [];
  return [`the output type ${formatType(output)} must equal the input type ${formatType(input)}`];
}

export const Relu = unary('Relu', 13, sameTypeProblems, () => (x) => Math.max(x, 0));

export const Requantize = unary(
  'Requantize',
  14,
  () => [],
  ({ inTypes, outType }) => {
    const fi = frac(inTypes[0]!);
    const fo = frac(outType);
    return (x) => requantize(x, fi, fo, outType.dtype);
  },
);
