import { dtypeInfo } from './dtype.js';
import { IrError } from './errors.js';
import { dequantizeValue } from './fixed-point.js';
import { formatType, frac, type Hypergraph } from './graph/types.js';
import { formatShape, type IntTensor, sizeOf } from './tensor.js';

/**
 * Floats exist only at the boundary: a model input is quantized with the input wire's frac
 * (round half up, saturate), an output is dequantized as q · 2^-frac.
 */
export function quantizeInput(graph: Hypergraph, index: number, values: ArrayLike<number>): IntTensor {
  const node = graph.inputs[index];
  if (node === undefined) throw new IrError('INPUT_INVALID', `the model has no input ${index}`);
  const type = graph.nodeTypes[node]!;
  if (values.length !== sizeOf(type.shape)) {
    throw new IrError(
      'INPUT_INVALID',
      `input ${index} '${graph.nodeNames[node]}' needs ${sizeOf(type.shape)} values for ${formatShape(type.shape)}, got ${values.length}`,
    );
  }
  // quantizeValue inlined (a node quantizes every request's inputs): round half up, saturate.
  const scale = 2 ** frac(type);
  const { min, max } = dtypeInfo(type.dtype);
  const data = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new IrError(
        'INPUT_INVALID',
        `input ${index} '${graph.nodeNames[node]}' value at ${i} is not a finite number`,
      );
    }
    const q = Math.floor(v * scale + 0.5);
    data[i] = q < min ? min : Math.min(q, max);
  }
  return { dtype: type.dtype, shape: [...type.shape], data };
}

export function dequantizeOutput(graph: Hypergraph, index: number, tensor: IntTensor): Float64Array {
  const node = graph.outputs[index];
  if (node === undefined) throw new IrError('INPUT_INVALID', `the model has no output ${index}`);
  const type = graph.nodeTypes[node]!;
  if (typeof type.frac !== 'number')
    throw new IrError('INPUT_INVALID', `output ${formatType(type)} is per-channel`);
  const f = type.frac;
  return Float64Array.from(tensor.data, (q) => dequantizeValue(q, f));
}
