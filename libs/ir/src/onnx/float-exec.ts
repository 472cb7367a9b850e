import { IrError } from '../errors.js';
import { formatShape, sizeOf } from '../tensor.js';
import type { FloatGraph, FloatTensor } from './float-graph.js';
import { FLOAT_OPS } from './float-ops.js';

/** Runs the float graph; returns every value by name (inputs, constants and node outputs). */
export function runFloatGraph(
  graph: FloatGraph,
  inputs: readonly ArrayLike<number>[],
): Map<string, FloatTensor> {
  if (inputs.length !== graph.inputs.length) {
    throw new IrError(
      'INPUT_INVALID',
      `the model takes ${graph.inputs.length} input(s), got ${inputs.length}`,
    );
  }
  const values = new Map<string, FloatTensor>(graph.constants);
  graph.inputs.forEach((input, i) => {
    if (inputs[i]!.length !== sizeOf(input.shape)) {
      throw new IrError(
        'INPUT_INVALID',
        `input '${input.name}' needs ${sizeOf(input.shape)} values for ${formatShape(input.shape)}, got ${inputs[i]!.length}`,
      );
    }
    values.set(input.name, { shape: input.shape, data: Float64Array.from(inputs[i]!) });
  });
  for (const node of graph.nodes) {
    const shape = graph.shapes.get(node.output)!;
    const data = FLOAT_OPS[node.op]!.run(
      node.inputs.map((n) => values.get(n)!),
      node,
      shape,
    );
    values.set(node.output, { shape, data });
  }
  return values;
}
