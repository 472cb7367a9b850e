import { type DType, dtypeInfo } from '../dtype.js';
import { IrError } from '../errors.js';
import { runFloatGraph } from '../onnx/float-exec.js';
import type { FloatGraph } from '../onnx/float-graph.js';
import { FRAC_LIMIT } from '../ops/op.js';

/** Largest |value| seen for every activation over the calibration samples. */
export function calibrate(
  graph: FloatGraph,
  samples: readonly (readonly ArrayLike<number>[])[],
): Map<string, number> {
  if (samples.length === 0) throw new IrError('INPUT_INVALID', 'calibration needs at least one sample');
  const ranges = new Map<string, number>();
  for (const sample of samples) {
    for (const [name, tensor] of runFloatGraph(graph, sample)) {
      if (graph.constants.has(name)) continue;
      let max = ranges.get(name) ?? 0;
      for (let i = 0; i < tensor.data.length; i++) max = Math.max(max, Math.abs(tensor.data[i]!));
      ranges.set(name, max);
    }
  }
  return ranges;
}

/**
 * The largest power-of-two scale at which `maxAbs` still fits the dtype: frac =
 * floor(log2(max / maxAbs)), so values use the top bit of the range without saturating.
 */
export function fracFor(maxAbs: number, dtype: DType): number {
  if (!(maxAbs > 0)) return Math.min(FRAC_LIMIT, dtypeInfo(dtype).bytes * 8 - 1);
  const frac = Math.floor(Math.log2(dtypeInfo(dtype).max / maxAbs));
  return Math.max(-FRAC_LIMIT, Math.min(FRAC_LIMIT, frac));
}

export function maxAbs(values: ArrayLike<number>, from = 0, to = values.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

/** Candidate fracs above the max-fitting one that MSE calibration tries by default (each halves the step). */
export const MSE_EXTRA_BITS = 2;

/**
 * For every activation, of the max-fitting frac f and f + 1 … f + extraBits, the one with
 * the least total squared error Σ (dequantize(quantize(v)) − v)² over the calibration samples
 * (a second pass over them: the candidates depend on the maximum over all samples).
 */
export function calibrationFracs(
  graph: FloatGraph,
  samples: readonly (readonly ArrayLike<number>[])[],
  ranges: ReadonlyMap<string, number>,
  dtype: DType | ((name: string) => DType),
  extraBits = MSE_EXTRA_BITS,
): Map<string, number> {
  const dtypeOf = typeof dtype === 'function' ? dtype : () => dtype;
  const errors = new Map<string, Float64Array>();
  for (const sample of samples) {
    for (const [name, tensor] of runFloatGraph(graph, sample)) {
      if (graph.constants.has(name)) continue;
      const { min, max } = dtypeInfo(dtypeOf(name));
      const base = fracFor(ranges.get(name) ?? 0, dtypeOf(name));
      const sums = errors.get(name) ?? new Float64Array(extraBits + 1);
      for (let k = 0; k <= extraBits; k++) {
        const scale = 2 ** (base + k);
        let sum = 0;
        for (let i = 0; i < tensor.data.length; i++) {
          const v = tensor.data[i]!;
          const q = Math.min(max, Math.max(min, Math.floor(v * scale + 0.5)));
          sum += (q / scale - v) ** 2;
        }
        sums[k]! += sum;
      }
      errors.set(name, sums);
    }
  }
  const fracs = new Map<string, number>();
  for (const [name, sums] of errors) {
    let best = 0;
    for (let k = 1; k <= extraBits; k++) if (sums[k]! < sums[best]!) best = k;
    fracs.set(name, Math.min(FRAC_LIMIT, fracFor(ranges.get(name) ?? 0, dtypeOf(name)) + best));
  }
  return fracs;
}
