import type { OnnxModelSpec, OnnxNodeSpec } from '@stoa/ir';
import type { Layer } from '../train/layers/index.js';

type Initializer = OnnxModelSpec['initializers'][number];

export interface LayerGraph {
  readonly nodes: OnnxNodeSpec[];
  readonly initializers: Initializer[];
}

/** The ONNX node (and its initializers) computing `layer` from tensor `input` into tensor `output`. */
export function layerToOnnx(layer: Layer, input: string, output: string): LayerGraph {
  const node = (op: string, inputs: string[], attrs: OnnxNodeSpec['attrs'] = {}): OnnxNodeSpec => ({
    op,
    name: layer.name,
    inputs,
    outputs: [output],
    attrs,
  });
  switch (layer.kind) {
    case 'dense':
    case 'conv2d': {
      const weight = `${layer.name}.weight`;
      const bias = `${layer.name}.bias`;
      const initializers = [
        { name: weight, shape: layer.weight.shape, data: layer.weight.value },
        { name: bias, shape: layer.bias.shape, data: layer.bias.value },
      ];
      if (layer.kind === 'dense')
        return { nodes: [node('Gemm', [input, weight, bias], { transB: 1 })], initializers };
      const k = layer.kernelSize;
      const p = layer.padding;
      const attrs = { kernel_shape: [k, k], pads: [p, p, p, p], strides: [1, 1] };
      return { nodes: [node('Conv', [input, weight, bias], attrs)], initializers };
    }
    case 'batchnorm2d': {
      const names = ['scale', 'bias', 'running_mean', 'running_var'].map(
        (suffix) => `${layer.name}.${suffix}`,
      );
      const values = [layer.scale.value, layer.shift.value, layer.runningMean, layer.runningVar];
      return {
        // epsilon is a float attribute even when it happens to be an integer.
        nodes: [node('BatchNormalization', [input, ...names], { epsilon: { float: layer.epsilon } })],
        initializers: names.map((name, i) => ({ name, shape: [layer.channels], data: values[i]! })),
      };
    }
    case 'relu':
      return { nodes: [node('Relu', [input])], initializers: [] };
    case 'maxpool2d': {
      const k = layer.kernelSize;
      const s = layer.stride;
      return {
        nodes: [node('MaxPool', [input], { kernel_shape: [k, k], strides: [s, s] })],
        initializers: [],
      };
    }
    case 'flatten':
      return { nodes: [node('Flatten', [input], { axis: 1 })], initializers: [] };
  }
}
