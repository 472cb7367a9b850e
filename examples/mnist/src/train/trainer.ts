import type { MnistSplit } from '../data/mnist.js';
import { Adam } from './adam.js';
import { mulberry32, shuffleInPlace } from './random.js';
import type { Sequential } from './sequential.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Seeds the per-epoch shuffling. */
  seed: number;
  onEpoch?: (report: EpochReport) => void;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  trainAccuracy: number;
  elapsedMs: number;
}

/** Cosine decay from `learningRate` towards zero over all steps: large early steps, fine late ones. */
function cosineLearningRate(base: number, step: number, totalSteps: number): number {
  return base * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps));
}

export function train(model: Sequential, data: MnistSplit, options: TrainOptions): EpochReport[] {
  const { epochs, batchSize, learningRate } = options;
  const count = data.count;
  const random = mulberry32(options.seed);
  const optimizer = new Adam(model.params());
  const order = new Uint32Array(count).map((_, i) => i);
  const size = model.inputSize;
  const classes = model.outputSize;
  const stepsPerEpoch = Math.ceil(count / batchSize);
  const totalSteps = epochs * stepsPerEpoch;
  const inputs = new Float32Array(batchSize * size);
  const labels = new Uint8Array(batchSize);
  const reports: EpochReport[] = [];
  const started = performance.now();
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffleInPlace(order, random);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < count; start += batchSize) {
      const batch = Math.min(batchSize, count - start);
      for (let n = 0; n < batch; n++) {
        const index = order[start + n];
        inputs.set(data.images.subarray(index * size, (index + 1) * size), n * size);
        labels[n] = data.labels[index];
      }
      const batchInputs = inputs.subarray(0, batch * size);
      const logits = model.forward(batchInputs, batch, true);
      const result = softmaxCrossEntropy(logits, labels, batch, classes);
      model.backward(result.gradLogits, batch);
      optimizer.step(cosineLearningRate(learningRate, step++, totalSteps));
      lossSum += result.loss * batch;
      correct += result.correct;
    }
    const report = {
      epoch,
      epochs,
      loss: lossSum / count,
      trainAccuracy: correct / count,
      elapsedMs: performance.now() - started,
    };
    reports.push(report);
    options.onEpoch?.(report);
  }
  return reports;
}
