import { type AttributeProto, type NodeProto, onnx, type TensorProto } from '../onnx/read.js';

const DataType = onnx.TensorProto.DataType;
export type ElemType = 'int8' | 'int32' | 'int64' | 'float' | 'double';
const ELEM: Record<ElemType, number> = {
  int8: DataType.INT8,
  int32: DataType.INT32,
  int64: DataType.INT64,
  float: DataType.FLOAT,
  double: DataType.DOUBLE,
};

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
        ? { name, type: onnx.AttributeProto.AttributeType.INT, i: v }
        : typeof v === 'string'
          ? { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) }
          : { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...v] },
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
    const tensor: TensorProto = { name, dims: [...shape], dataType: ELEM[type] };
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
    return this.node('Cast', [input], { to: ELEM[to] });
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
        tensorType: { elemType: DataType.INT32, shape: { dim: shape.map((d) => ({ dimValue: d })) } },
      },
    });
    const model = onnx.ModelProto.create({
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
    return onnx.ModelProto.encode(model).finish();
  }
}
