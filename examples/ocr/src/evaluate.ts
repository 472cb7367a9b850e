import type { ImportResult } from '@stoa/ir';
import {
  argmax,
  createIntegerBackend,
  floatClassifier,
  integerClassifier,
  type LabeledLine,
} from './classifier.js';

export interface ClassifierReport {
  readonly images: number;
  /** Images where the integer model's decision equals the float model's. */
  readonly agreeing: number;
  /** Decisions equal to the rendering's label, float and integer. */
  readonly floatCorrect: number;
  readonly integerCorrect: number;
  /** Largest |integer − float| over the output probabilities. */
  readonly maxProbabilityError: number;
}

/** Float (onnxruntime, as published) vs integer (traced backend) decisions on rendered lines. */
export async function compareClassifier(
  result: ImportResult,
  lines: readonly LabeledLine[],
  onProgress?: (done: number) => void,
): Promise<ClassifierReport> {
  const float = await floatClassifier();
  const backend = await createIntegerBackend(result);
  const integer = integerClassifier(result, backend);
  let agreeing = 0;
  let floatCorrect = 0;
  let integerCorrect = 0;
  let maxProbabilityError = 0;
  try {
    for (const [i, line] of lines.entries()) {
      const f = await float(line.input);
      const q = await integer(line.input);
      const fd = argmax(f);
      const qd = argmax(q);
      if (fd === qd) agreeing++;
      if (fd === line.label) floatCorrect++;
      if (qd === line.label) integerCorrect++;
      for (let k = 0; k < f.length; k++)
        maxProbabilityError = Math.max(maxProbabilityError, Math.abs(f[k]! - q[k]!));
      onProgress?.(i + 1);
    }
  } finally {
    await backend.close();
  }
  return { images: lines.length, agreeing, floatCorrect, integerCorrect, maxProbabilityError };
}
