/** A trainable tensor with its gradient; layers overwrite `grad` on every backward pass. */
export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

export function createParam(name: string, shape: readonly number[], value: Float32Array): Param {
  const size = shape.reduce((a, b) => a * b, 1);
  if (value.length !== size) {
    throw new Error(`param ${name}: ${value.length} values do not fit shape [${shape.join(', ')}]`);
  }
  return { name, shape, value, grad: new Float32Array(size) };
}

/** Returns `buffer` when it already has `size` elements, else a fresh zeroed one. */
export function sized(buffer: Float32Array<ArrayBuffer>, size: number): Float32Array<ArrayBuffer> {
  return buffer.length === size ? buffer : new Float32Array(size);
}
