import type { Sequential } from '../train/sequential.js';
import { layerToOnnx } from './layer-nodes.js';
import { floatValueInfo, type OnnxNode, type OnnxTensor, onnx } from './onnx-builders.js';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'logits';
const BATCH_DIM = 'N';

/** Serializes a trained (or freshly initialized) model as an ONNX ModelProto in inference form. */
export function exportOnnx(model: Sequential): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  let tensor = ONNX_INPUT_NAME;
  model.layers.forEach((layer, i) => {
    const output = i === model.layers.length - 1 ? ONNX_OUTPUT_NAME : `${layer.name}_out`;
    const part = layerToOnnx(layer, tensor, output);
    nodes.push(...part.nodes);
    initializers.push(...part.initializers);
    tensor = output;
  });
  const graph = onnx.GraphProto.create({
    name: model.name,
    node: nodes,
    initializer: initializers,
    input: [floatValueInfo(ONNX_INPUT_NAME, [BATCH_DIM, ...model.inputShape])],
    output: [floatValueInfo(ONNX_OUTPUT_NAME, [BATCH_DIM, model.outputSize])],
  });
  const modelProto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: ONNX_OPSET })],
    producerName: 'stoa',
    graph,
  });
  return onnx.ModelProto.encode(modelProto).finish();
}
