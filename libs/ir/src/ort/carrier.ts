import type { DType } from '../dtype.js';

/**
 * The type a node's integers travel in between onnxruntime ops: float32 holds every i8 and i16
 * value exactly (and feeds the float32 kernels without a cast), double every i32 value. Only the
 * boundary of an onnxruntime segment sees int32.
 */
export type Carrier = 'float' | 'double';

export function carrierOf(dtype: DType): Carrier {
  return dtype === 'i32' ? 'double' : 'float';
}
