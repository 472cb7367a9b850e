import { type AttributeProto, onnxSchema, type ValueInfoProto } from './read.js';

/** A float attribute whose value happens to be an integer (e.g. alpha = 1) must say so. */
export interface FloatValue {
  readonly float: number;
}

export type OnnxAttr = number | readonly number[] | string | FloatValue;

export interface OnnxNodeSpec {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, OnnxAttr>>;
  readonly domain?: string;
}

export interface OnnxModelSpec {
  readonly name: string;
  /** Dims are sizes or symbolic names (e.g. 'N' for the batch). */
  /** `int64` marks an integer input (token ids for a Gather); float by default. */
  readonly inputs: readonly {
    readonly name: string;
    readonly shape: readonly (number | string)[];
    readonly dtype?: 'float' | 'int64';
  }[];
  readonly outputs: readonly { readonly name: string; readonly shape: readonly (number | string)[] }[];
  readonly initializers: readonly {
    readonly name: string;
    readonly shape: readonly number[];
    readonly data: ArrayLike<number>;
    /** `int64` for index tensors (Gather indices); float32 by default. */
    readonly dtype?: 'float' | 'int64';
  }[];
  readonly nodes: readonly OnnxNodeSpec[];
  readonly opset?: number;
}

function attribute(name: string, value: OnnxAttr): AttributeProto {
  const T = onnxSchema().AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return value.every(Number.isInteger)
    ? { name, type: T.INTS, ints: [...value] }
    : { name, type: T.FLOATS, floats: [...value] };
}

function valueInfo(
  name: string,
  shape: readonly (number | string)[],
  dtype: 'float' | 'int64' = 'float',
): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnxSchema().TensorProto.DataType[dtype === 'int64' ? 'INT64' : 'FLOAT'],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** raw_data is little-endian whatever the host's byte order. */
function float32LittleEndian(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i]!, true);
  return bytes;
}

function int64LittleEndian(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(8 * i, BigInt(values[i]!), true);
  return bytes;
}

/** Writes a float32 ONNX model (ModelProto bytes) from a plain description. */
export function writeOnnx(spec: OnnxModelSpec): Uint8Array {
  const model = onnxSchema().ModelProto.create({
    irVersion: 8,
    producerName: 'stoa',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: spec.name,
      input: spec.inputs.map((i) => valueInfo(i.name, i.shape, i.dtype)),
      output: spec.outputs.map((o) => valueInfo(o.name, o.shape)),
      initializer: spec.initializers.map((t) => ({
        name: t.name,
        dims: [...t.shape],
        dataType: onnxSchema().TensorProto.DataType[t.dtype === 'int64' ? 'INT64' : 'FLOAT'],
        rawData: t.dtype === 'int64' ? int64LittleEndian(t.data) : float32LittleEndian(t.data),
      })),
      node: spec.nodes.map((n) => ({
        opType: n.op,
        name: n.name,
        domain: n.domain ?? '',
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  });
  return onnxSchema().ModelProto.encode(model).finish();
}
