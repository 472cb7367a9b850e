/**
 * The float graph: ONNX as imported, before quantization. Only the ops Stoa can lower appear;
 * Constant, Identity and Dropout are resolved away while reading.
 */
export interface FloatTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export type FloatAttr = number | readonly number[] | string;

export interface FloatNode {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly attrs: Readonly<Record<string, FloatAttr>>;
}

export interface FloatGraph {
  readonly name: string;
  /** `integer`: an INT64/INT32 input (token ids), lowered to an i16 wire at frac 0. */
  readonly inputs: readonly {
    readonly name: string;
    readonly shape: readonly number[];
    readonly integer?: boolean;
  }[];
  readonly outputs: readonly string[];
  readonly nodes: readonly FloatNode[];
  /** Initializers and Constant outputs, by value name. */
  readonly constants: ReadonlyMap<string, FloatTensor>;
  /** Shape of every value, by name. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

export function attrInt(node: FloatNode, key: string, fallback: number): number {
  const v = node.attrs[key];
  return typeof v === 'number' ? v : fallback;
}

export function attrInts(node: FloatNode, key: string, fallback: readonly number[]): readonly number[] {
  const v = node.attrs[key];
  return Array.isArray(v) ? v : fallback;
}

export function attrString(node: FloatNode, key: string, fallback: string): string {
  const v = node.attrs[key];
  return typeof v === 'string' ? v : fallback;
}
