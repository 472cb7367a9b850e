import { createModel, type Model } from '../model.js';
import { calibrate, calibrationFracs } from '../quantize/calibrate.js';
import { activationDtypeOf, type LowerOptions, lowerToIntegerGraph } from '../quantize/lower.js';
import type { FloatGraph } from './float-graph.js';
import { foldBatchNorms } from './fold.js';
import { floatGraphFromOnnx, type ShapeOptions } from './from-onnx.js';
import { fuseCausalSoftmax } from './fuse-causal-softmax.js';
import { fuseHardSwish } from './fuse-hard-swish.js';
import { fuseLayerNorms } from './fuse-layer-norm.js';
import { readOnnx } from './read.js';

export interface FloatImportOptions extends ShapeOptions {
  /** Names the file in error messages. */
  readonly label?: string;
}

export interface ImportOptions extends FloatImportOptions, LowerOptions {
  /** Model name recorded in the artifact (not part of the modelId). Defaults to the ONNX graph name. */
  readonly name?: string;
  /** Calibration samples: each is one array of float values per graph input. */
  readonly calibration: readonly (readonly ArrayLike<number>[])[];
  /**
   * How an activation's frac is chosen: 'max' (default), the largest frac at which the
   * calibrated maximum fits; 'mse', of that frac and the next two, the one with the least
   * squared quantization error over the calibration samples (saturating rare outliers).
   */
  readonly calibrationMethod?: 'max' | 'mse';
  /** Fracs above the max-fitting one that 'mse' tries (default 2): more saturate more outliers. */
  readonly mseExtraBits?: number;
}

export interface ImportResult {
  readonly model: Model;
  /** The float graph after BatchNormalization folding: the float reference for accuracy checks. */
  readonly floatGraph: FloatGraph;
  /** Calibrated max |value| per float activation. */
  readonly ranges: ReadonlyMap<string, number>;
}

/**
 * Reads an ONNX file into the float graph, with shapes resolved, BatchNormalization folded and
 * written-out HardSwish and layer-norm patterns fused.
 */
export function importOnnxFloat(bytes: Uint8Array, options: FloatImportOptions = {}): FloatGraph {
  const graph = foldBatchNorms(floatGraphFromOnnx(readOnnx(bytes, options.label), options));
  return fuseCausalSoftmax(fuseLayerNorms(fuseHardSwish(graph)));
}

/** ONNX bytes → quantized integer model, calibrated on the given samples. */
export function importOnnx(bytes: Uint8Array, options: ImportOptions): ImportResult {
  const floatGraph = importOnnxFloat(bytes, options);
  const ranges = calibrate(floatGraph, options.calibration);
  const fracs =
    options.calibrationMethod === 'mse'
      ? calibrationFracs(
          floatGraph,
          options.calibration,
          ranges,
          (name) => activationDtypeOf(options, name),
          options.mseExtraBits,
        )
      : undefined;
  const graph = lowerToIntegerGraph(floatGraph, ranges, { ...options, fracs });
  return { model: createModel(graph, options.name ?? floatGraph.name), floatGraph, ranges };
}
