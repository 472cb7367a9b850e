import { channelFrac, formatType, frac, type TensorType } from '../graph/types.js';
import { ACCUMULATOR_LIMIT, INTERMEDIATE_LIMIT, maxAbsOf } from './op.js';

/**
 * The accumulator bound of a MAC edge: int32 for i8 (and i32) weights, as onnxruntime's integer
 * kernels accumulate; i16 weights (i16 × i16 products) get an i64 accumulator bounded by 2^47,
 * where doubles, and the double requantization of the onnxruntime lowering, stay exact.
 */
export function accumulatorLimit(weights: TensorType): number {
  return weights.dtype === 'i16' ? INTERMEDIATE_LIMIT : ACCUMULATOR_LIMIT;
}

/**
 * Shared checks of the multiply-accumulate ops (MatMul, Conv): weights and bias may be scaled
 * per output channel (axis 0); the bias frac must equal input frac + weight frac per channel;
 * and the accumulator bound (`accumulatorLimit`) must hold for every channel.
 */
export function accumulatorProblems(
  inTypes: readonly TensorType[],
  outType: TensorType,
  constants: readonly (Int32Array | undefined)[],
  channels: number,
  reduction: number,
): string[] {
  const [x, w, bias] = inTypes as [TensorType, TensorType, TensorType | undefined];
  const problems: string[] = [];
  if (typeof x.frac !== 'number') problems.push('input 0 must have a per-tensor scale');
  if (typeof outType.frac !== 'number') problems.push('the output must have a per-tensor scale');
  for (const [label, t] of [
    ['weights', w],
    ['bias', bias],
  ] as const) {
    if (t && typeof t.frac !== 'number' && (t.frac.axis !== 0 || t.frac.fracs.length !== channels)) {
      problems.push(`${label} must be scaled per tensor or per output channel (axis 0, ${channels} fracs)`);
    }
  }
  if (bias && bias.dtype !== 'i32') problems.push(`bias must be i32, got ${formatType(bias)}`);
  if (problems.length > 0) return problems;

  const fx = frac(x);
  const maxX = maxAbsOf(x, constants[0]);
  const weights = constants[1];
  const biasValues = constants[2];
  const maxW = maxAbsOf(w, undefined);
  const limit = accumulatorLimit(w);
  for (let c = 0; c < channels; c++) {
    if (bias && channelFrac(bias, c) !== fx + channelFrac(w, c)) {
      problems.push(
        `bias frac of channel ${c} is ${channelFrac(bias, c)}, must be input frac + weight frac = ${fx + channelFrac(w, c)}`,
      );
      break;
    }
    let bound = productBound(weights, maxW, maxX, c, reduction);
    bound += biasValues ? Math.abs(biasValues[c]!) : bias ? maxAbsOf(bias, undefined) : 0;
    if (bound >= limit) {
      problems.push(
        `the ${limit === ACCUMULATOR_LIMIT ? 'int32' : 'int64'} accumulator of output channel ${c} may reach ${bound} (limit 2^${Math.log2(limit)}): lower the input or weight precision`,
      );
      break;
    }
  }
  return problems;
}

/**
 * The most |Σ_k w[c, k] · x_k| can reach for output channel `c` over `reduction` products: from
 * the weights' values when they are constants, else from their dtype's bound.
 */
export function productBound(
  weights: Int32Array | undefined,
  maxW: number,
  maxX: number,
  c: number,
  reduction: number,
): number {
  if (!weights) return reduction * maxW * maxX;
  let bound = 0;
  for (let k = c * reduction; k < (c + 1) * reduction; k++) bound += Math.abs(weights[k]!) * maxX;
  return bound;
}
