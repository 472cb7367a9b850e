import { endianness } from 'node:os';
import { dtypeInfo, type IntTensor, type Model, quantizeInput, sizeOf } from '@stoa/ir';
import { RequestError } from './tensors.js';

/**
 * A binary form of an inference's inputs, for callers that hold typed arrays (a gateway, a
 * load generator): the node reads it without parsing hundreds of decimal numbers. It means
 * exactly what the JSON form `{"inputs":[[...]], "format":...}` with the same values means:
 * float values are quantized at the boundary as JSON floats are, integers are checked against
 * the input's dtype, so the receipt (its input digest) is the same for both forms.
 *
 * Layout, little-endian:
 *
 *     bytes 0-3  "stoa" (no JSON body can start with it: a batch item is told apart by it)
 *     byte  4    version, 1
 *     byte  5    element type: 1 float32, 2 float64 (values quantized), 3 int32 (model integers)
 *     bytes 6-7  tensor count (uint16), one per model input
 *     then per tensor: its element count (uint32), then its elements, no padding
 *
 * Shapes are the model's (as with a flat JSON array).
 */
export const BINARY_INPUTS_CONTENT_TYPE = 'application/vnd.stoa.inputs';

const MAGIC = Buffer.from('stoa', 'latin1');
const VERSION = 1;
const HEADER_BYTES = 8;

export const ELEMENT_TYPES = { float32: 1, float64: 2, int32: 3 } as const;
export type ElementType = keyof typeof ELEMENT_TYPES;
const WIDTH: Record<number, number> = { 1: 4, 2: 8, 3: 4 };

/** Whether a body (or a batch item) is in the binary form: it starts with the magic. */
export function isBinaryInputs(body: Buffer): boolean {
  return body.length >= MAGIC.length && body.compare(MAGIC, 0, MAGIC.length, 0, MAGIC.length) === 0;
}

/** The binary form of `tensors` (one flat array per model input) with elements of `type`. */
export function encodeBinaryInputs(
  tensors: readonly ArrayLike<number>[],
  type: ElementType = 'float32',
): Buffer {
  const code = ELEMENT_TYPES[type];
  const width = WIDTH[code]!;
  const size = tensors.reduce((sum, t) => sum + 4 + t.length * width, HEADER_BYTES);
  const out = Buffer.alloc(size);
  MAGIC.copy(out, 0);
  out.writeUInt8(VERSION, 4);
  out.writeUInt8(code, 5);
  out.writeUInt16LE(tensors.length, 6);
  let at = HEADER_BYTES;
  for (const t of tensors) {
    out.writeUInt32LE(t.length, at);
    at += 4;
    for (let i = 0; i < t.length; i++, at += width) {
      if (code === 1) out.writeFloatLE(t[i]!, at);
      else if (code === 2) out.writeDoubleLE(t[i]!, at);
      else out.writeInt32LE(t[i]!, at);
    }
  }
  return out;
}

/**
 * The model's integer inputs from a binary body. Errors are 400s naming the field, worded as
 * the JSON form's (`inputs[0].data has 783 values; ...`).
 */
export function decodeBinaryInputs(model: Model, body: Buffer): IntTensor[] {
  const { graph } = model;
  if (body.length < HEADER_BYTES || !isBinaryInputs(body))
    throw new RequestError(`a ${BINARY_INPUTS_CONTENT_TYPE} body starts with "stoa" and an 8-byte header`);
  const version = body.readUInt8(4);
  if (version !== VERSION)
    throw new RequestError(`binary inputs version ${version} is not understood (this node reads ${VERSION})`);
  const code = body.readUInt8(5);
  const width = WIDTH[code];
  if (!width)
    throw new RequestError(`binary inputs element type ${code} is not 1 (float32), 2 (float64) or 3 (int32)`);
  const count = body.readUInt16LE(6);
  if (count !== graph.inputs.length)
    throw new RequestError(`"inputs" has ${count} tensors; the model takes ${graph.inputs.length}`);
  let at = HEADER_BYTES;
  // graph.inputs is a typed array: Array.from, so that the map yields tensors.
  const tensors = Array.from(graph.inputs, (node, i) => {
    const type = graph.nodeTypes[node]!;
    const field = `inputs[${i}]`;
    if (at + 4 > body.length) throw new RequestError(`${field}: the body ends before its element count`);
    const n = body.readUInt32LE(at);
    at += 4;
    if (n !== sizeOf(type.shape))
      throw new RequestError(
        `${field}.data has ${n} values; the input [${type.shape.join(', ')}] holds ${sizeOf(type.shape)}`,
      );
    if (at + n * width > body.length)
      throw new RequestError(`${field}: the body ends before its ${n} values`);
    const tensor =
      code === 3 ? integers(body, at, n, type, field) : reals(model, i, body, at, n, code, field);
    at += n * width;
    return tensor;
  });
  if (at !== body.length)
    throw new RequestError(`the body has ${body.length - at} bytes after its last tensor`);
  return tensors;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/**
 * Aligned scratch arrays the floats are copied into before quantizing (the body's offset need
 * not be a multiple of 4 or 8), reused by every request: decoding is synchronous and
 * `quantizeInput` copies into its own Int32Array, so nothing keeps them. A fresh Float32Array
 * per request (a 3 KB ArrayBuffer for an MNIST digit) was the largest part of decoding.
 */
const scratch = new Map<number, { values: Float32Array | Float64Array; bytes: Uint8Array }>();

/** The scratch array of `n` values of element type `code` (1 float32, 2 float64), and its bytes. */
function scratchFor(code: number, n: number): { values: Float32Array | Float64Array; bytes: Uint8Array } {
  const key = code * 2 ** 32 + n;
  let entry = scratch.get(key);
  if (!entry) {
    const values = code === 1 ? new Float32Array(n) : new Float64Array(n);
    entry = { values, bytes: new Uint8Array(values.buffer) };
    // One per input size a model has; a caller cycling sizes cannot grow it without bound.
    if (scratch.size >= 16) scratch.clear();
    scratch.set(key, entry);
  }
  return entry;
}

function reals(
  model: Model,
  index: number,
  body: Buffer,
  at: number,
  n: number,
  code: number,
  field: string,
) {
  const { values, bytes } = scratchFor(code, n);
  // One copy into the aligned scratch array.
  if (LITTLE_ENDIAN_HOST) bytes.set(body.subarray(at, at + bytes.length));
  else
    for (let k = 0; k < n; k++)
      values[k] = code === 1 ? body.readFloatLE(at + 4 * k) : body.readDoubleLE(at + 8 * k);
  for (let k = 0; k < n; k++)
    if (!Number.isFinite(values[k]!))
      throw new RequestError(`${field}.data[${k}] must be a finite number, got ${values[k]}`);
  return quantizeInput(model.graph, index, values);
}

function integers(
  body: Buffer,
  at: number,
  n: number,
  { dtype, shape }: { dtype: IntTensor['dtype']; shape: readonly number[] },
  field: string,
): IntTensor {
  const { min, max } = dtypeInfo(dtype);
  const data = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const v = body.readInt32LE(at + 4 * k);
    if (v < min || v > max)
      throw new RequestError(`${field}.data[${k}] = ${v} is not an ${dtype} integer (${min}..${max})`);
    data[k] = v;
  }
  return { dtype, shape: [...shape], data };
}
