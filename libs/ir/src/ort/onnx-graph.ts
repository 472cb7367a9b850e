import { type AttributeProto, type NodeProto, onnxSchema, type TensorProto } from '../onnx/read.js';

export type ElemType = 'int8' | 'int32' | 'int64' | 'float' | 'double';
const ELEM_NAMES = {
  int8: 'INT8',
  int32: 'INT32',
  int64: 'INT64',
  float: 'FLOAT',
  double: 'DOUBLE',
} as const;
/** ONNX's number for an element type (onnx-proto's enum, loaded on first use). */
const elem = (type: ElemType): number => onnxSchema().TensorProto.DataType[ELEM_NAMES[type]];

/** Accumulates an ONNX graph: nodes, constants and fresh value names. */
export class OnnxGraphWriter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  fresh(prefix = 't'): string {
    return `${prefix}${this.counter++}`;
  }

  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, number | string | readonly number[]> = {},
    output = this.fresh(),
  ): string {
    const attribute: AttributeProto[] = Object.entries(attrs).map(([name, v]) =>
      typeof v === 'number'
        ? { name, type: onnxSchema().AttributeProto.AttributeType.INT, i: v }
        : typeof v === 'string'
          ? { name, type: onnxSchema().AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) }
          : { name, type: onnxSchema().AttributeProto.AttributeType.INTS, ints: [...v] },
    );
    this.nodes.push({ opType, input: [...inputs], output: [output], attribute, name: output });
    return output;
  }

  /** A constant tensor, shared between uses with the same contents. */
  constant(type: ElemType, shape: readonly number[], values: ArrayLike<number>): string {
    const key = `${type}|${shape.join(',')}|${Array.prototype.join.call(values, ',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('c');
    const tensor: TensorProto = { name, dims: [...shape], dataType: elem(type) };
    if (type === 'int64')
      tensor.rawData = new Uint8Array(BigInt64Array.from(Array.from(values), (v) => BigInt(v)).buffer);
    else if (type === 'float') tensor.rawData = new Uint8Array(Float32Array.from(values).buffer);
    else if (type === 'double') tensor.rawData = new Uint8Array(Float64Array.from(values).buffer);
    else if (type === 'int32') tensor.rawData = new Uint8Array(Int32Array.from(values).buffer);
    else tensor.rawData = new Uint8Array(Int8Array.from(values).buffer);
    this.initializers.push(tensor);
    this.constants.set(key, name);
    return name;
  }

  /** Marks the current contents, so that a lowering that gives up can be undone. */
  checkpoint(): { nodes: number; initializers: number } {
    return { nodes: this.nodes.length, initializers: this.initializers.length };
  }

  rollback(mark: { nodes: number; initializers: number }): void {
    for (const dropped of this.initializers.splice(mark.initializers)) {
      for (const [key, name] of this.constants) if (name === dropped.name) this.constants.delete(key);
    }
    this.nodes.length = mark.nodes;
  }

  cast(input: string, to: ElemType): string {
    return this.node('Cast', [input], { to: elem(to) });
  }

  /**
   * The model: int32 inputs and outputs with their static shapes. The shapes matter: without them
   * onnxruntime cannot infer channel counts and leaves pools outside its blocked (NCHWc) layout.
   */
  encode(
    inputs: readonly { name: string; shape: readonly number[] }[],
    outputs: readonly { name: string; shape: readonly number[] }[],
  ): Uint8Array {
    const info = ({ name, shape }: { name: string; shape: readonly number[] }) => ({
      name,
      type: {
        tensorType: { elemType: elem('int32'), shape: { dim: shape.map((d) => ({ dimValue: d })) } },
      },
    });
    const model = onnxSchema().ModelProto.create({
      irVersion: 8,
      producerName: 'stoa',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'stoa-segment',
        node: this.nodes,
        initializer: this.initializers,
        input: inputs.map(info),
        output: outputs.map(info),
      },
    });
    return onnxSchema().ModelProto.encode(model).finish();
  }
}
