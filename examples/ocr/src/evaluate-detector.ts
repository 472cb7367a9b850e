import { createOnnxRuntimeBackend, type ImportResult } from '@stoa/ir';
import { dbBoxes, matchedBoxes, type TextBox } from './db-boxes.js';
import { type Detector, detectorInput, floatDetector, integerDetector, type TextPage } from './detector.js';

export interface DetectorReport {
  readonly pages: number;
  /** Boxes the float model finds, and how many of them the integer model matches (IoU ≥ 0.9). */
  readonly floatBoxes: number;
  readonly integerBoxes: number;
  readonly matched: number;
  /** Largest |probability difference| over every pixel of every page. */
  readonly maxProbabilityError: number;
}

export interface PageBoxes {
  readonly float: TextBox[];
  readonly integer: TextBox[];
}

/**
 * Float (onnxruntime) against integer (traced onnxruntime backend) detector on rendered pages:
 * DB boxes of each, and the share of the float model's boxes the integer model finds with
 * IoU ≥ 0.9. `onPage` sees each page's boxes as they come.
 */
export async function compareDetector(
  result: ImportResult,
  pages: readonly TextPage[],
  onPage?: (index: number, boxes: PageBoxes) => void,
): Promise<DetectorReport> {
  const size = pages[0]!.image;
  const boxesOf = (prob: Float64Array) => dbBoxes(prob, size.height, size.width);
  const floatRun: Detector = await floatDetector({ height: size.height, width: size.width });
  const backend = await createOnnxRuntimeBackend(result.model);
  const integerRun = integerDetector(result, backend);
  let [floatBoxes, integerBoxes, matched, maxProbabilityError] = [0, 0, 0, 0];
  try {
    for (const [index, page] of pages.entries()) {
      const input = detectorInput(page.image);
      const [pf, pi] = [await floatRun(input), await integerRun(input)];
      for (let k = 0; k < pf.length; k++)
        maxProbabilityError = Math.max(maxProbabilityError, Math.abs(pf[k]! - pi[k]!));
      const boxes = { float: boxesOf(pf), integer: boxesOf(pi) };
      floatBoxes += boxes.float.length;
      integerBoxes += boxes.integer.length;
      matched += matchedBoxes(boxes.float, boxes.integer);
      onPage?.(index, boxes);
    }
  } finally {
    await backend.close();
  }
  return { pages: pages.length, floatBoxes, integerBoxes, matched, maxProbabilityError };
}
