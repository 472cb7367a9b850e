import { IrError } from '../errors.js';
import { formatShape, sizeOf } from '../tensor.js';
import type { FloatAttr, FloatGraph, FloatNode, FloatTensor } from './float-graph.js';
import { FLOAT_OPS } from './float-ops.js';
import { foldConstantNode } from './fold.js';
import {
  type AttributeProto,
  type ModelProto,
  onnxSchema,
  type TensorProto,
  toInt,
  type ValueInfoProto,
} from './read.js';

export interface ShapeOptions {
  /** Value for symbolic batch dimensions (any dim_param not in `dims`). Default 1. */
  readonly batchSize?: number;
  /** Values for named symbolic dimensions. */
  readonly dims?: Readonly<Record<string, number>>;
}

const PASS_THROUGH = new Set(['Identity', 'Dropout']);
/** ONNX's tensor element types (an enum of onnx-proto's, loaded on first use). */
const dataTypes = () => onnxSchema().TensorProto.DataType;

function tensorFromProto(t: TensorProto, where: string): FloatTensor {
  const DataType = dataTypes();
  const name = t.name || where;
  if (
    (t.externalData ?? []).length > 0 ||
    t.dataLocation === onnxSchema().TensorProto.DataLocation.EXTERNAL
  ) {
    throw new IrError(
      'ONNX_UNSUPPORTED',
      `tensor '${name}' stores its data in an external file; embed the weights in the .onnx file`,
    );
  }
  const shape = (t.dims ?? []).map(toInt);
  const count = sizeOf(shape);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const data = new Float64Array(count);
  const read = (
    width: number,
    get: (offset: number) => number,
    fallback: ArrayLike<number | { toNumber(): number }>,
  ) => {
    if (view) {
      if (view.byteLength !== count * width) {
        throw new IrError(
          'ONNX_CORRUPT',
          `tensor '${name}' has ${view.byteLength} raw bytes for shape ${formatShape(shape)} (needs ${count * width})`,
        );
      }
      for (let i = 0; i < count; i++) data[i] = get(i * width);
    } else {
      if (fallback.length !== count) {
        throw new IrError(
          'ONNX_CORRUPT',
          `tensor '${name}' has ${fallback.length} values for shape ${formatShape(shape)}`,
        );
      }
      for (let i = 0; i < count; i++) data[i] = toInt(fallback[i]);
    }
  };
  switch (t.dataType) {
    case DataType.FLOAT:
      read(4, (o) => view!.getFloat32(o, true), t.floatData ?? []);
      break;
    case DataType.DOUBLE:
      read(8, (o) => view!.getFloat64(o, true), t.doubleData ?? []);
      break;
    case DataType.INT64:
      read(8, (o) => Number(view!.getBigInt64(o, true)), t.int64Data ?? []);
      break;
    case DataType.INT32:
      read(4, (o) => view!.getInt32(o, true), t.int32Data ?? []);
      break;
    default:
      throw new IrError(
        'ONNX_UNSUPPORTED',
        `tensor '${name}' has data type ${DataType[t.dataType ?? 0] ?? t.dataType}; Stoa imports FLOAT, DOUBLE, INT32 and INT64 tensors`,
      );
  }
  return { shape, data };
}

function attrFromProto(a: AttributeProto, node: string): FloatAttr | FloatTensor {
  const T = onnxSchema().AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT:
      return a.f ?? 0;
    case T.INT:
      return toInt(a.i);
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.INTS:
      return (a.ints ?? []).map(toInt);
    case T.FLOATS:
      return [...(a.floats ?? [])];
    case T.TENSOR:
      return tensorFromProto(a.t ?? {}, `${node}.${a.name}`);
    default:
      throw new IrError(
        'ONNX_UNSUPPORTED',
        `node '${node}' attribute '${a.name}' has unsupported type ${T[a.type ?? 0] ?? a.type}`,
      );
  }
}

/** INT64 and INT32 inputs carry integers (token ids for a Gather). */
function isIntegerInput(info: ValueInfoProto): boolean {
  const DataType = dataTypes();
  const type = info.type?.tensorType?.elemType;
  return type === DataType.INT64 || type === DataType.INT32;
}

function resolveInputShape(info: ValueInfoProto, options: ShapeOptions): number[] {
  const DataType = dataTypes();
  const name = info.name ?? '?';
  const tensorType = info.type?.tensorType;
  if (!tensorType?.shape) {
    throw new IrError(
      'ONNX_DYNAMIC_SHAPE',
      `graph input '${name}' has no shape; Stoa needs static input shapes`,
    );
  }
  if (tensorType.elemType !== DataType.FLOAT && !isIntegerInput(info)) {
    throw new IrError(
      'ONNX_UNSUPPORTED',
      `graph input '${name}' has element type ${DataType[tensorType.elemType ?? 0]}; only FLOAT, INT64 and INT32 inputs are supported`,
    );
  }
  return (tensorType.shape.dim ?? []).map((d, i) => {
    if (d.dimValue !== null && d.dimValue !== undefined && toInt(d.dimValue) > 0) return toInt(d.dimValue);
    const param = d.dimParam ?? '';
    const named = param ? options.dims?.[param] : undefined;
    const value = named ?? (i === 0 ? (options.batchSize ?? 1) : undefined);
    if (value === undefined || !Number.isInteger(value) || value < 1) {
      throw new IrError(
        'ONNX_DYNAMIC_SHAPE',
        `graph input '${name}' dimension ${i}${param ? ` ('${param}')` : ''} is dynamic and cannot be resolved; pass dims: { ${param || 'name'}: <size> }`,
      );
    }
    return value;
  });
}

/** ONNX ModelProto → float graph with every shape resolved. Unsupported ops are all listed at once. */
export function floatGraphFromOnnx(model: ModelProto, options: ShapeOptions = {}): FloatGraph {
  const graph = model.graph!;
  const constants = new Map<string, FloatTensor>();
  for (const init of graph.initializer ?? [])
    constants.set(init.name ?? '', tensorFromProto(init, 'initializer'));

  const unsupported = new Map<string, string>();
  for (const [i, n] of (graph.node ?? []).entries()) {
    const type = n.opType ?? '';
    const domain = n.domain ?? '';
    const known = type === 'Constant' || PASS_THROUGH.has(type) || type in FLOAT_OPS;
    if ((domain !== '' && domain !== 'ai.onnx') || !known) {
      const key = domain && domain !== 'ai.onnx' ? `${domain}.${type}` : type;
      if (!unsupported.has(key)) unsupported.set(key, n.name || `#${i}`);
    }
  }
  if (unsupported.size > 0) {
    const list = [...unsupported].map(([op, node]) => `'${op}' (first at node '${node}')`).join(', ');
    throw new IrError(
      'ONNX_UNSUPPORTED_OP',
      `unsupported op type(s): ${list}. Stoa imports: ${Object.keys(FLOAT_OPS).join(', ')}, Constant, Identity, Dropout`,
    );
  }

  const alias = new Map<string, string>();
  const resolve = (name: string) => alias.get(name) ?? name;
  const shapes = new Map<string, readonly number[]>();
  for (const [name, t] of constants) shapes.set(name, t.shape);
  const inputs = (graph.input ?? [])
    .filter((i) => !constants.has(i.name ?? ''))
    .map((info) => ({
      name: info.name ?? '',
      shape: resolveInputShape(info, options),
      ...(isIntegerInput(info) ? { integer: true } : {}),
    }));
  for (const i of inputs) shapes.set(i.name, i.shape);

  const nodes: FloatNode[] = [];
  (graph.node ?? []).forEach((n, index) => {
    const name = n.name || `${n.opType}_${index}`;
    const attrs: Record<string, FloatAttr> = {};
    let constantValue: FloatTensor | undefined;
    for (const a of n.attribute ?? []) {
      const value = attrFromProto(a, name);
      if (typeof value === 'object' && 'data' in value) constantValue = value;
      else attrs[a.name ?? ''] = value;
    }
    const output = n.output?.[0] ?? '';
    if (n.opType === 'Constant') {
      if (!constantValue)
        throw new IrError('ONNX_UNSUPPORTED', `Constant node '${name}' must carry a tensor 'value'`);
      constants.set(output, constantValue);
      shapes.set(output, constantValue.shape);
      return;
    }
    const ins = (n.input ?? []).filter((s) => s !== '').map(resolve);
    for (const i of ins) {
      if (!shapes.has(i))
        throw new IrError(
          'ONNX_INVALID',
          `node '${name}' (${n.opType}) reads '${i}', which no earlier node produces`,
        );
    }
    if (PASS_THROUGH.has(n.opType ?? '')) {
      alias.set(output, ins[0]!);
      return;
    }
    const node: FloatNode = { op: n.opType!, name, inputs: ins, output, attrs };
    const shape = FLOAT_OPS[node.op]!.shape(
      ins.map((i) => shapes.get(i)!),
      node,
      ins.map((i) => constants.get(i)),
    );
    if (typeof shape === 'string') throw new IrError('ONNX_INVALID', `node '${name}' (${node.op}): ${shape}`);
    shapes.set(output, shape);
    const folded = foldConstantNode(node, shape, shapes, constants);
    if (folded) constants.set(output, folded);
    else nodes.push(node);
  });
  const outputs = (graph.output ?? []).map((o) => resolve(o.name ?? ''));
  for (const o of outputs) {
    if (!shapes.has(o)) throw new IrError('ONNX_INVALID', `graph output '${o}' is not produced by any node`);
  }
  return { name: graph.name || 'model', inputs, outputs, nodes, constants, shapes };
}
