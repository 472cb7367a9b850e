import { dtypeInfo, type IntTensor, type Model, quantizeInput, sizeOf } from '@stoa/ir';

/** A client's mistake in a request: answered with 400 and this message. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Reads `inputs` of an inference request: one entry per model input, either a flat array of
 * numbers or `{ shape, data }`. With `format: "float"` (the default) values are real numbers,
 * quantized at the boundary; with `format: "int"` they are the model's integers, checked
 * against the input's dtype. Errors name the offending field.
 */
export function parseInputs(model: Model, body: unknown): IntTensor[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError('the body must be a JSON object with an "inputs" field');
  }
  const { inputs, format = 'float' } = body as { inputs?: unknown; format?: unknown };
  if (format !== 'float' && format !== 'int')
    throw new RequestError(`format must be "float" or "int", got ${JSON.stringify(format)}`);
  const { graph } = model;
  if (!Array.isArray(inputs))
    throw new RequestError('"inputs" must be an array with one tensor per model input');
  if (inputs.length !== graph.inputs.length) {
    throw new RequestError(`"inputs" has ${inputs.length} tensors; the model takes ${graph.inputs.length}`);
  }
  return inputs.map((entry, i) => {
    const type = graph.nodeTypes[graph.inputs[i]!]!;
    const field = `inputs[${i}]`;
    const tensor = Array.isArray(entry) ? { data: entry } : (entry as { shape?: unknown; data?: unknown });
    if (typeof tensor !== 'object' || tensor === null)
      throw new RequestError(`${field} must be an array or { shape, data }`);
    if (tensor.shape !== undefined) {
      const shape = tensor.shape;
      if (
        !Array.isArray(shape) ||
        shape.length !== type.shape.length ||
        shape.some((d, k) => d !== type.shape[k])
      ) {
        throw new RequestError(
          `${field}.shape ${JSON.stringify(shape)} does not match the model input [${type.shape.join(', ')}]`,
        );
      }
    }
    const data = tensor.data;
    if (!Array.isArray(data)) throw new RequestError(`${field}.data must be an array of numbers`);
    if (data.length !== sizeOf(type.shape)) {
      throw new RequestError(
        `${field}.data has ${data.length} values; the input [${type.shape.join(', ')}] holds ${sizeOf(type.shape)}`,
      );
    }
    const bad = data.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad !== -1)
      throw new RequestError(
        `${field}.data[${bad}] must be a finite number, got ${JSON.stringify(data[bad])}`,
      );
    if (format === 'float') return quantizeInput(graph, i, data as number[]);
    const { min, max } = dtypeInfo(type.dtype);
    const wrong = (data as number[]).findIndex((v) => !Number.isInteger(v) || v < min || v > max);
    if (wrong !== -1) {
      throw new RequestError(
        `${field}.data[${wrong}] = ${data[wrong]} is not an ${type.dtype} integer (${min}..${max})`,
      );
    }
    return { dtype: type.dtype, shape: type.shape, data: Int32Array.from(data as number[]) };
  });
}
