import { readFileSync } from 'node:fs';
import { importOnnx, type Model, modelId, quantizeInput, run, toHex } from '@stoa/ir';
import { loadMnist, type MnistSplit } from './data/mnist.js';
import { MNIST_MODELS, type MnistModelKind } from './models.js';

export const PIXELS = 784;
/** Calibration uses training digits only; accuracy is measured on the held-out test split. */
export const CALIBRATION_SAMPLES = 200;

export interface QuantizedMnist {
  readonly kind: MnistModelKind;
  readonly model: Model;
  readonly onnx: Uint8Array;
  readonly inputShape: readonly number[];
}

export function inputShapeOf(kind: MnistModelKind, batch = 1): number[] {
  return kind === 'mlp' ? [batch, PIXELS] : [batch, 1, 28, 28];
}

/** Imports the committed ONNX model and quantizes it, calibrated on the first training digits. */
export function importMnistModel(kind: MnistModelKind): QuantizedMnist {
  const onnx = new Uint8Array(readFileSync(MNIST_MODELS[kind]));
  const train = loadMnist('train');
  const calibration = Array.from({ length: CALIBRATION_SAMPLES }, (_, i) => [digit(train, i)]);
  const { model } = importOnnx(onnx, { calibration, name: `mnist-${kind}`, label: MNIST_MODELS[kind] });
  return { kind, model, onnx, inputShape: inputShapeOf(kind) };
}

export function digit(split: MnistSplit, index: number): Float32Array {
  return split.images.subarray(index * PIXELS, (index + 1) * PIXELS);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Class predicted by the integer model for one digit (argmax of the integer logits). */
export function predictInteger(q: QuantizedMnist, image: Float32Array): number {
  const out = run(q.model, [quantizeInput(q.model.graph, 0, image)]);
  return argmax(out.outputs[0]!.data);
}

/** Classes predicted by onnxruntime running the original float32 ONNX model. */
export async function predictFloat(q: QuantizedMnist, split: MnistSplit, count: number): Promise<Uint8Array> {
  // Loaded here: `stoa init` imports this package for the digits and the model file alone.
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(q.onnx);
  const predictions = new Uint8Array(count);
  const batch = 500;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const input = new ort.Tensor(
      'float32',
      split.images.slice(start * PIXELS, (start + n) * PIXELS),
      inputShapeOf(q.kind, n),
    );
    const result = await session.run({ [session.inputNames[0]!]: input });
    const logits = result[session.outputNames[0]!]!.data as Float32Array;
    for (let i = 0; i < n; i++) predictions[start + i] = argmax(logits.subarray(i * 10, (i + 1) * 10));
  }
  await session.release();
  return predictions;
}

export interface AccuracyReport {
  readonly kind: MnistModelKind;
  readonly count: number;
  readonly floatAccuracy: number;
  readonly integerAccuracy: number;
  /** Fraction of digits on which the integer and float models predict the same class. */
  readonly agreement: number;
  readonly modelId: string;
}

export async function measureAccuracy(
  kind: MnistModelKind,
  count: number,
  onProgress?: (done: number, total: number) => void,
): Promise<AccuracyReport> {
  const q = importMnistModel(kind);
  const test = loadMnist('test');
  if (count > test.count) throw new Error(`the test split has ${test.count} digits, asked for ${count}`);
  const floatPredictions = await predictFloat(q, test, count);
  let floatCorrect = 0;
  let intCorrect = 0;
  let agree = 0;
  for (let i = 0; i < count; i++) {
    const predicted = predictInteger(q, digit(test, i));
    const label = test.labels[i]!;
    if (predicted === label) intCorrect++;
    if (floatPredictions[i] === label) floatCorrect++;
    if (predicted === floatPredictions[i]) agree++;
    if (onProgress && (i + 1) % 500 === 0) onProgress(i + 1, count);
  }
  return {
    kind,
    count,
    floatAccuracy: floatCorrect / count,
    integerAccuracy: intCorrect / count,
    agreement: agree / count,
    modelId: toHex(modelId(q.model)),
  };
}
