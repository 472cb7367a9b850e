import { type DType, dtypeInfo } from './dtype.js';
import { IrError } from './errors.js';

/** An integer tensor: values are held in an Int32Array whatever the dtype; the dtype bounds them. */
export interface IntTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Int32Array;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function makeTensor(dtype: DType, shape: readonly number[], data?: ArrayLike<number>): IntTensor {
  const size = sizeOf(shape);
  if (data !== undefined && data.length !== size) {
    throw new IrError(
      'TENSOR_SIZE',
      `tensor of shape ${formatShape(shape)} needs ${size} values, got ${data.length}`,
    );
  }
  const values = data === undefined ? new Int32Array(size) : Int32Array.from(data);
  const { min, max } = dtypeInfo(dtype);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min || v > max) {
      throw new IrError(
        'TENSOR_RANGE',
        `value ${v} at index ${i} is outside the ${dtype} range [${min}, ${max}]`,
      );
    }
  }
  return { dtype, shape: [...shape], data: values };
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Canonical little-endian bytes: 1, 2 or 4 bytes per element by dtype. */
export function tensorBytes(dtype: DType, data: Int32Array): Uint8Array {
  const width = dtypeInfo(dtype).bytes;
  if (LITTLE_ENDIAN) {
    // Typed-array narrowing keeps the low bytes, which is exact for values within the dtype.
    const narrowed = width === 1 ? new Int8Array(data) : width === 2 ? new Int16Array(data) : data.slice();
    return new Uint8Array(narrowed.buffer, narrowed.byteOffset, narrowed.byteLength);
  }
  const out = new Uint8Array(data.length * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (width === 1) view.setInt8(i, data[i]!);
    else if (width === 2) view.setInt16(2 * i, data[i]!, true);
    else view.setInt32(4 * i, data[i]!, true);
  }
  return out;
}

export function tensorFromBytes(dtype: DType, bytes: Uint8Array, count: number): Int32Array {
  const width = dtypeInfo(dtype).bytes;
  if (bytes.length !== count * width) {
    throw new IrError(
      'TENSOR_SIZE',
      `expected ${count * width} bytes for ${count} ${dtype} values, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(count);
  if (width === 1) for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
  else if (width === 2) for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
  else for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
  return out;
}
