import { writeOnnx } from '@stoa/ir';
import type { Sequential } from '../train/sequential.js';
import { type LayerGraph, layerToOnnx } from './layer-nodes.js';

export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'logits';
const BATCH_DIM = 'N';

/** Serializes a trained (or freshly initialized) model as an ONNX ModelProto in inference form. */
export function exportOnnx(model: Sequential): Uint8Array {
  const parts: LayerGraph[] = [];
  let tensor = ONNX_INPUT_NAME;
  model.layers.forEach((layer, i) => {
    const output = i === model.layers.length - 1 ? ONNX_OUTPUT_NAME : `${layer.name}_out`;
    parts.push(layerToOnnx(layer, tensor, output));
    tensor = output;
  });
  return writeOnnx({
    name: model.name,
    inputs: [{ name: ONNX_INPUT_NAME, shape: [BATCH_DIM, ...model.inputShape] }],
    outputs: [{ name: ONNX_OUTPUT_NAME, shape: [BATCH_DIM, model.outputSize] }],
    nodes: parts.flatMap((p) => p.nodes),
    initializers: parts.flatMap((p) => p.initializers),
  });
}
