import type { Attrs, AttrValue, TensorType } from '../graph/types.js';

export interface KernelArgs {
  readonly inputs: readonly Int32Array[];
  readonly inTypes: readonly TensorType[];
  readonly outType: TensorType;
  readonly attrs: Attrs;
}

export interface CheckArgs {
  readonly inTypes: readonly TensorType[];
  readonly outType: TensorType;
  readonly attrs: Attrs;
  /** Constant values of inputs bound to parameters (for tight static range bounds). */
  readonly constants: readonly (Int32Array | undefined)[];
}

export interface AttrSpec {
  readonly kind: 'int' | 'ints';
  readonly default?: AttrValue;
}

/**
 * One operation of the integer op set. Its semantics are `kernel`, which computes any
 * contiguous range of output elements: the whole tensor for execution, one tile in a dispute.
 */
export interface OpDefinition {
  readonly name: string;
  /** Stable numeric code in the canonical encoding; never reused. */
  readonly code: number;
  readonly minInputs: number;
  readonly maxInputs: number;
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  /** Output shape from input types and attrs, or a message saying why the inputs do not fit. */
  inferShape(inTypes: readonly TensorType[], attrs: Attrs): number[] | string;
  /** Problems with dtypes, scales and static value bounds; empty when the edge is well typed. */
  check(args: CheckArgs): string[];
  /** Work (multiply-accumulates or element reads) to compute one output element. */
  elementWork(inTypes: readonly TensorType[], outType: TensorType, attrs: Attrs): number;
  /** Output elements that must stay together in one tile (e.g. a softmax row). */
  tileGranule(inTypes: readonly TensorType[], outType: TensorType, attrs: Attrs): number;
  kernel(args: KernelArgs, out: Int32Array, start: number, end: number): void;
}

export function intAttr(attrs: Attrs, key: string): number {
  const value = attrs[key];
  if (typeof value !== 'number') throw new Error(`attribute ${key} must be an integer`);
  return value;
}

export function intsAttr(attrs: Attrs, key: string): readonly number[] {
  const value = attrs[key];
  if (!Array.isArray(value)) throw new Error(`attribute ${key} must be a list of integers`);
  return value as readonly number[];
}

/** Largest |value| an input can hold: from its constant data when known, else its dtype. */
export function maxAbsOf(type: TensorType, constant: Int32Array | undefined): number {
  if (constant) {
    let m = 0;
    for (let i = 0; i < constant.length; i++) m = Math.max(m, Math.abs(constant[i]!));
    return m;
  }
  return type.dtype === 'i8' ? 128 : type.dtype === 'i16' ? 32768 : 2147483648;
}

export const ACCUMULATOR_LIMIT = 2 ** 31;
export const INTERMEDIATE_LIMIT = 2 ** 47;
export const FRAC_LIMIT = 32;

export function perTensorProblems(types: readonly TensorType[], labels: readonly string[]): string[] {
  const problems: string[] = [];
  types.forEach((t, i) => {
    if (typeof t.frac !== 'number') problems.push(`${labels[i]} must have a per-tensor scale`);
  });
  return problems;
}
