import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import type { StoaDb } from '../db/client.js';

/** A labelled evaluation set: one flat float input per sample and its class. */
export interface EvalSet {
  readonly inputs: readonly (readonly number[])[];
  readonly labels: readonly number[];
}

export interface ModelImportInput {
  readonly name: string;
  readonly onnx: Uint8Array;
  /** Where the bytes came from (a file name), used in error messages. */
  readonly label: string;
  /** Calibration samples: one flat float input each (the model's first input). */
  readonly calibration: readonly (readonly number[])[];
  readonly evalSet?: EvalSet;
  readonly activationBits?: 8 | 16;
}

export interface ModelImportProgress {
  readonly phase: 'import' | 'compare' | 'evaluate' | 'store';
  readonly done: number;
  readonly total: number;
}

export interface ImportedModel {
  /** The Model row's id. */
  readonly id: string;
  readonly model: Model;
  readonly modelId: string;
  readonly weightsRoot: string;
  readonly artifactFile: string;
  /** Share of calibration samples where the integer model's top class equals the float model's. */
  readonly agreement: number;
  readonly evalCount: number;
  readonly floatAccuracy?: number;
  readonly intAccuracy?: number;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

// Long imports run inside servers (the console): give their event loop a turn between samples.
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Compared {
  readonly floatRight: number;
  readonly intRight: number;
  readonly same: number;
}

async function compare(
  imported: ReturnType<typeof importOnnx>,
  inputs: readonly (readonly number[])[],
  labels: readonly number[] | undefined,
  report: (done: number) => void,
): Promise<Compared> {
  const { model, floatGraph } = imported;
  const output = floatGraph.outputs[0]!;
  let floatRight = 0;
  let intRight = 0;
  let same = 0;
  for (let i = 0; i < inputs.length; i++) {
    const floatClass = argmax(runFloatGraph(floatGraph, [inputs[i]!]).get(output)!.data);
    const intClass = argmax(run(model, [quantizeInput(model.graph, 0, inputs[i]!)]).outputs[0]!.data);
    if (floatClass === intClass) same++;
    if (labels && floatClass === labels[i]) floatRight++;
    if (labels && intClass === labels[i]) intRight++;
    if (i % 10 === 9) {
      report(i + 1);
      await yieldToLoop();
    }
  }
  report(inputs.length);
  return { floatRight, intRight, same };
}

function checkSamples(what: string, samples: readonly (readonly number[])[]) {
  if (samples.length === 0) throw new Error(`${what}: needs at least one sample`);
  samples.forEach((s, i) => {
    if (!Array.isArray(s) || s.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
      throw new Error(`${what}[${i}]: must be an array of finite numbers`);
  });
}

/**
 * ONNX bytes → the integer hypergraph, as the console imports an uploaded model: calibrates,
 * compares the integer model with the float one (top-class agreement on the calibration samples,
 * accuracy on a labelled eval set when given), writes the artifact and the ONNX file under
 * `<stoaDir>/models/` (named by modelId) and records the Model row of the project.
 */
export async function importModel(
  db: StoaDb,
  stoaDir: string,
  projectId: string,
  input: ModelImportInput,
  onProgress: (progress: ModelImportProgress) => void = () => {},
): Promise<ImportedModel> {
  checkSamples('calibration', input.calibration);
  if (input.evalSet) {
    checkSamples('eval.inputs', input.evalSet.inputs);
    if (input.evalSet.labels.length !== input.evalSet.inputs.length)
      throw new Error(
        `eval.labels: ${input.evalSet.labels.length} labels for ${input.evalSet.inputs.length} inputs`,
      );
  }
  onProgress({ phase: 'import', done: 0, total: input.calibration.length });
  await yieldToLoop();
  const imported = importOnnx(input.onnx, {
    calibration: input.calibration.map((s) => [s]),
    name: input.name,
    label: input.label,
    activationDtype: input.activationBits === 16 ? 'i16' : 'i8',
  });
  onProgress({ phase: 'import', done: input.calibration.length, total: input.calibration.length });
  const agreement = await compare(imported, input.calibration, undefined, (done) =>
    onProgress({ phase: 'compare', done, total: input.calibration.length }),
  );
  const evaluated = input.evalSet
    ? await compare(imported, input.evalSet.inputs, input.evalSet.labels, (done) =>
        onProgress({ phase: 'evaluate', done, total: input.evalSet!.inputs.length }),
      )
    : undefined;
  onProgress({ phase: 'store', done: 0, total: 1 });
  const { model } = imported;
  const id = toHex(modelId(model));
  const root = toHex(weightsRoot(model));
  const dir = join(stoaDir, 'models');
  mkdirSync(dir, { recursive: true });
  const artifactFile = join(dir, `${id}.stoa`);
  const onnxPath = join(dir, `${id}.onnx`);
  writeFileSync(artifactFile, encodeModel(model));
  writeFileSync(onnxPath, input.onnx);
  const evalCount = input.evalSet?.inputs.length ?? 0;
  const accuracy = evaluated
    ? { floatAccuracy: evaluated.floatRight / evalCount, intAccuracy: evaluated.intRight / evalCount }
    : {};
  const fields = {
    name: input.name,
    weightsRoot: root,
    onnxPath,
    activationBits: input.activationBits ?? 8,
    floatAccuracy: accuracy.floatAccuracy ?? null,
    intAccuracy: accuracy.intAccuracy ?? null,
  };
  const row = await db.model.upsert({
    where: { projectId_modelId: { projectId, modelId: id } },
    create: { projectId, modelId: id, ...fields },
    update: fields,
  });
  onProgress({ phase: 'store', done: 1, total: 1 });
  return {
    id: row.id,
    model,
    modelId: id,
    weightsRoot: root,
    artifactFile,
    agreement: agreement.same / input.calibration.length,
    evalCount,
    ...accuracy,
  };
}
