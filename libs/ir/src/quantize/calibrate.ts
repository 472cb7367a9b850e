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
