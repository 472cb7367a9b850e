import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  encodeModel,
  importOnnx,
  type Model,
  modelId,
  quantizeInput,
  run,
  runFloatGraph,
  toHex,
  weightsRoot,
} from '@stoa/ir';
import type { LoadedConfig } from '../config/load.js';
import type { CalibrationSource } from '../config/schema.js';
import { writeJson } from './background.js';

export interface BuildResult {
  readonly model: Model;
  readonly modelId: string;
  readonly weightsRoot: string;
  readonly artifact: Uint8Array;
  readonly artifactFile: string;
  readonly evalCount: number;
  readonly floatAccuracy?: number;
  readonly intAccuracy?: number;
}

function readJsonFile<T>(dir: string, path: string, what: string): T {
  const file = resolve(dir, path);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new Error(`${what} (${file}): ${(error as Error).message}`);
  }
}

async function calibrationSamples(dir: string, source: CalibrationSource): Promise<number[][]> {
  if (typeof source === 'function') return source();
  if (typeof source === 'string') return readJsonFile<number[][]>(dir, source, 'model.calibration');
  return source.map((s) => [...s]);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * `stoa build`: imports the ONNX model, calibrates and quantizes it to the integer hypergraph,
 * measures float vs integer accuracy on the eval set, and writes the artifact under .stoa/build/.
 */
export async function buildModel(
  project: LoadedConfig,
  onProgress: (what: string) => void = () => {},
): Promise<BuildResult> {
  const { config, dir } = project;
  const onnxFile = resolve(dir, config.model.onnx);
  let onnx: Uint8Array;
  try {
    onnx = new Uint8Array(readFileSync(onnxFile));
  } catch (error) {
    throw new Error(`model.onnx (${onnxFile}): ${(error as Error).message}`);
  }
  const samples = await calibrationSamples(dir, config.model.calibration);
  onProgress(`calibrating on ${samples.length} samples`);
  const { model, floatGraph } = importOnnx(onnx, {
    calibration: samples.map((s) => [s]),
    name: config.name,
    label: onnxFile,
    activationDtype: config.model.activationBits === 16 ? 'i16' : 'i8',
    batchSize: config.model.batchSize,
  });
  let floatAccuracy: number | undefined;
  let intAccuracy: number | undefined;
  let evalCount = 0;
  if (config.model.eval) {
    const set = readJsonFile<{ inputs: number[][]; labels: number[] }>(dir, config.model.eval, 'model.eval');
    evalCount = set.inputs.length;
    let floatRight = 0;
    let intRight = 0;
    const output = floatGraph.outputs[0]!;
    set.inputs.forEach((input, i) => {
      if (i % 50 === 0) onProgress(`evaluating ${i}/${evalCount}`);
      const floats = runFloatGraph(floatGraph, [input]).get(output)!;
      if (argmax(floats.data) === set.labels[i]) floatRight++;
      const ints = run(model, [quantizeInput(model.graph, 0, input)]).outputs[0]!;
      if (argmax(ints.data) === set.labels[i]) intRight++;
    });
    floatAccuracy = floatRight / evalCount;
    intAccuracy = intRight / evalCount;
  }
  const artifact = encodeModel(model);
  const artifactFile = join(dir, '.stoa', 'build', 'model.stoa');
  const result = {
    model,
    modelId: toHex(modelId(model)),
    weightsRoot: toHex(weightsRoot(model)),
    artifact,
    artifactFile,
    evalCount,
    ...(floatAccuracy !== undefined ? { floatAccuracy, intAccuracy } : {}),
  };
  writeJson(join(dir, '.stoa', 'build', 'build.json'), {
    modelId: result.modelId,
    weightsRoot: result.weightsRoot,
    sizeBytes: artifact.length,
    floatAccuracy,
    intAccuracy,
    evalCount,
  });
  writeFileSync(artifactFile, artifact);
  return result;
}
