import type { FloatNode } from '../onnx/float-graph.js';

/** A float-graph node named after its output, for hand-built test graphs. */
export const floatNode = (
  op: string,
  inputs: string[],
  output: string,
  attrs: FloatNode['attrs'] = {},
): FloatNode => ({ op, name: output, inputs, output, attrs });
