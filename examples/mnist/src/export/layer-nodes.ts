import type { Layer } from '../train/layers/index.js';
import {
  floatAttribute,
  floatTensor,
  intAttribute,
  intsAttribute,
  node,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-builders.js';

export interface LayerGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
}

/** The ONNX node (and its initializers) computing `layer` from tensor `input` into tensor `output`. */
export function layerToOnnx(layer: Layer, input: string, output: string): LayerGraph {
  switch (layer.kind) {
    case 'dense': {
      const weight = `${layer.name}.weight`;
      const bias = `${layer.name}.bias`;
      return {
        nodes: [node('Gemm', layer.name, [input, weight, bias], [output], [intAttribute('transB', 1)])],
        initializers: [
          floatTensor(weight, layer.weight.shape, layer.weight.value),
          floatTensor(bias, layer.bias.shape, layer.bias.value),
        ],
      };
    }
    case 'conv2d': {
      const weight = `${layer.name}.weight`;
      const bias = `${layer.name}.bias`;
      const k = layer.kernelSize;
      const p = layer.padding;
      return {
        nodes: [
          node(
            'Conv',
            layer.name,
            [input, weight, bias],
            [output],
            [
              intsAttribute('kernel_shape', [k, k]),
              intsAttribute('pads', [p, p, p, p]),
              intsAttribute('strides', [1, 1]),
            ],
          ),
        ],
        initializers: [
          floatTensor(weight, layer.weight.shape, layer.weight.value),
          floatTensor(bias, layer.bias.shape, layer.bias.value),
        ],
      };
    }
    case 'batchnorm2d': {
      const names = ['scale', 'bias', 'running_mean', 'running_var'].map(
        (suffix) => `${layer.name}.${suffix}`,
      );
      const shape = [layer.channels];
      return {
        nodes: [
          node(
            'BatchNormalization',
            layer.name,
            [input, ...names],
            [output],
            [floatAttribute('epsilon', layer.epsilon)],
          ),
        ],
        initializers: [
          floatTensor(names[0], shape, layer.scale.value),
          floatTensor(names[1], shape, layer.shift.value),
          floatTensor(names[2], shape, layer.runningMean),
          floatTensor(names[3], shape, layer.runningVar),
        ],
      };
    }
    case 'relu':
      return { nodes: [node('Relu', layer.name, [input], [output])], initializers: [] };
    case 'maxpool2d': {
      const k = layer.kernelSize;
      const s = layer.stride;
      return {
        nodes: [
          node(
            'MaxPool',
            layer.name,
            [input],
            [output],
            [intsAttribute('kernel_shape', [k, k]), intsAttribute('strides', [s, s])],
          ),
        ],
        initializers: [],
      };
    }
    case 'flatten':
      return {
        nodes: [node('Flatten', layer.name, [input], [output], [intAttribute('axis', 1)])],
        initializers: [],
      };
  }
}
