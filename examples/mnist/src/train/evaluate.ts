import type { MnistSplit } from '../data/mnist.js';
import type { Sequential } from './sequential.js';

export function argmaxRow(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  for (let k = 1; k < length; k++) if (values[offset + k] > values[offset + best]) best = k;
  return best;
}

/** Fraction of the first `limit` images of `split` whose argmax logit matches the label. */
export function accuracy(model: Sequential, split: MnistSplit, limit = split.count, batchSize = 500): number {
  const count = Math.min(limit, split.count);
  const classes = model.outputSize;
  let correct = 0;
  for (let start = 0; start < count; start += batchSize) {
    const batch = Math.min(batchSize, count - start);
    const input = split.images.subarray(start * model.inputSize, (start + batch) * model.inputSize);
    const logits = model.predict(input, batch);
    for (let n = 0; n < batch; n++) {
      if (argmaxRow(logits, n * classes, classes) === split.labels[start + n]) correct++;
    }
  }
  return correct / count;
}
