import { createRequire } from 'node:module';
import type onnxProto from 'onnx-proto';
import { IrError } from '../errors.js';

type OnnxSchema = typeof onnxProto.onnx;
let schema: OnnxSchema | undefined;

/**
 * ONNX's protobuf classes, loaded on first use: onnx-proto and protobufjs are ~330 KB of
 * CommonJS that importing @stoa/ir (every `stoa` command with a config does) need not load.
 */
export function onnxSchema(): OnnxSchema {
  schema ??= (createRequire(import.meta.url)('onnx-proto') as typeof onnxProto).onnx;
  return schema;
}
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** protobufjs reports truncation as "index out of range: <pos> + <len> > <size>". */
function describeDecodeError(error: unknown, size: number): string {
  const message = error instanceof Error ? error.message : String(error);
  const range = /index out of range: (\d+) \+ (\d+) > (\d+)/.exec(message);
  if (range) {
    const [, at, need] = range;
    return `truncated or corrupt at byte ${at}: a field needs ${need} more byte(s) but the file ends at byte ${size}`;
  }
  const wire = /invalid wire type (\d+) at offset (\d+)/.exec(message);
  if (wire) return `corrupt at byte ${wire[2]}: invalid protobuf wire type ${wire[1]}`;
  return `corrupt protobuf (${message})`;
}

/** Decodes an ONNX ModelProto; a damaged file gets an error with the file label and byte offset. */
export function readOnnx(bytes: Uint8Array, label = 'model.onnx'): ModelProto {
  if (bytes.length === 0) throw new IrError('ONNX_CORRUPT', `${label} is empty`);
  let model: ModelProto;
  try {
    model = onnxSchema().ModelProto.decode(bytes);
  } catch (error) {
    throw new IrError(
      'ONNX_CORRUPT',
      `${label} is not a readable ONNX model: ${describeDecodeError(error, bytes.length)}`,
    );
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) {
    throw new IrError('ONNX_CORRUPT', `${label} has no graph or an empty graph (is it an ONNX model?)`);
  }
  return model;
}

/** int64 fields arrive as numbers or Long objects depending on the protobufjs setup. */
export function toInt(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
