import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

type OnnxNode = InstanceType<typeof onnx.NodeProto>;
type OnnxAttribute = InstanceType<typeof onnx.AttributeProto>;
type OnnxTensor = InstanceType<typeof onnx.TensorProto>;
type OnnxValueInfo = InstanceType<typeof onnx.ValueInfoProto>;

export type { OnnxAttribute, OnnxNode, OnnxTensor, OnnxValueInfo };
export { onnx };

/** A float32 initializer; raw_data is little-endian whatever the host's byte order. */
export function floatTensor(name: string, shape: readonly number[], values: ArrayLike<number>): OnnxTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new Error(`initializer ${name}: ${values.length} values do not fit shape [${shape.join(', ')}]`);
  }
  const rawData = new Uint8Array(size * 4);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < size; i++) view.setFloat32(i * 4, values[i], true);
  return onnx.TensorProto.create({
    name,
    dims: [...shape],
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData,
  });
}

export function intsAttribute(name: string, ints: readonly number[]): OnnxAttribute {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...ints] });
}

export function intAttribute(name: string, i: number): OnnxAttribute {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
}

export function floatAttribute(name: string, f: number): OnnxAttribute {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });
}

export function node(
  opType: string,
  name: string,
  input: readonly string[],
  output: readonly string[],
  attribute: OnnxAttribute[] = [],
): OnnxNode {
  return onnx.NodeProto.create({ opType, name, input: [...input], output: [...output], attribute });
}

/** A float32 graph input/output; string dims become symbolic (dim_param). */
export function floatValueInfo(name: string, dims: readonly (number | string)[]): OnnxValueInfo {
  const dim = dims.map((d) =>
    typeof d === 'string'
      ? onnx.TensorShapeProto.Dimension.create({ dimParam: d })
      : onnx.TensorShapeProto.Dimension.create({ dimValue: d }),
  );
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({ dim }),
      }),
    }),
  });
}
