export interface LossResult {
  /** Mean cross-entropy over the batch. */
  loss: number;
  /** d(loss)/d(logits), [batch, classes]. */
  gradLogits: Float32Array;
  correct: number;
}

export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  batch: number,
  classes: number,
): LossResult {
  const grad = new Float32Array(batch * classes);
  let loss = 0;
  let correct = 0;
  for (let n = 0; n < batch; n++) {
    const base = n * classes;
    let max = logits[base];
    let argmax = 0;
    for (let k = 1; k < classes; k++) {
      if (logits[base + k] > max) {
        max = logits[base + k];
        argmax = k;
      }
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[base + k] - max);
    const label = labels[n];
    if (argmax === label) correct++;
    loss += Math.log(sum) - (logits[base + label] - max);
    for (let k = 0; k < classes; k++) {
      const probability = Math.exp(logits[base + k] - max) / sum;
      grad[base + k] = (probability - (k === label ? 1 : 0)) / batch;
    }
  }
  return { loss: loss / batch, gradLogits: grad, correct };
}
