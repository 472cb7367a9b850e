import { spawnSync } from 'node:child_process';
import {
  createOnnxRuntimeBackend,
  dequantizeOutput,
  type ImportResult,
  type OnnxRuntimeBackend,
  quantizeInput,
} from '@stoa/ir';
import { argmax, classifierInput, integerClassifier, lineInput } from './classifier.js';
import { dbBoxes, type TextBox } from './db-boxes.js';
import { DETECTOR_SIZE, detectorInput, integerDetector } from './detector.js';
import { RECOGNIZER_HEIGHT, RECOGNIZER_WIDTH, recognizerAlphabet } from './models.js';
import { ctcDecode } from './recognizer.js';
import { imageMagick, parsePpm, type RgbImage } from './render.js';

/** An image file scaled to fit the detector's page (aspect kept), padded with white. */
export function readPage(file: string): RgbImage {
  const { width, height } = DETECTOR_SIZE;
  const size = `${width}x${height}`;
  const args = [file, '-resize', size, '-background', 'white', '-gravity', 'northwest', '-extent', size];
  const result = spawnSync(imageMagick(), [...args, '-depth', '8', 'ppm:-'], { maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`cannot read image '${file}': ${result.stderr.toString().trim()}`);
  return parsePpm(result.stdout);
}

function crop(image: RgbImage, box: TextBox): RgbImage {
  const [width, height] = [box.x1 - box.x0, box.y1 - box.y0];
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((box.y0 + y) * image.width + box.x0) * 3;
    data.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** The image turned by 180°: pixels in reverse order. */
function rotated(image: RgbImage): RgbImage {
  const data = new Uint8Array(image.data.length);
  const pixels = image.width * image.height;
  for (let p = 0; p < pixels; p++) data.set(image.data.subarray(p * 3, p * 3 + 3), (pixels - 1 - p) * 3);
  return { ...image, data };
}

export interface OcrModels {
  readonly detector: ImportResult;
  readonly classifier: ImportResult;
  readonly recognizer: ImportResult;
}

export interface OcrLine {
  readonly box: TextBox;
  /** The classifier's decision: the crop was upside down and was turned before recognition. */
  readonly upsideDown: boolean;
  readonly text: string;
}

/** Detector → classifier → recognizer, all three integer models on traced onnxruntime backends. */
export async function readText(models: OcrModels, page: RgbImage): Promise<OcrLine[]> {
  const backends: OnnxRuntimeBackend[] = [];
  const backend = async (result: ImportResult) => {
    const b = await createOnnxRuntimeBackend(result.model, { log: () => {} });
    backends.push(b);
    return b;
  };
  try {
    const detect = integerDetector(models.detector, await backend(models.detector));
    const classify = integerClassifier(models.classifier, await backend(models.classifier));
    const recognizer = await backend(models.recognizer);
    const graph = models.recognizer.model.graph;
    const classes = graph.nodeTypes[graph.outputs[0]!]!.shape.at(-1)!;
    const alphabet = recognizerAlphabet();
    const boxes = dbBoxes(await detect(detectorInput(page)), page.height, page.width);
    boxes.sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);
    const lines: OcrLine[] = [];
    for (const box of boxes) {
      let line = crop(page, box);
      const upsideDown = argmax(await classify(classifierInput(line))) === 1;
      if (upsideDown) line = rotated(line);
      const input = quantizeInput(graph, 0, lineInput(line, RECOGNIZER_HEIGHT, RECOGNIZER_WIDTH));
      const { outputs } = await recognizer.run([input]);
      lines.push({
        box,
        upsideDown,
        text: ctcDecode(dequantizeOutput(graph, 0, outputs[0]!), classes, alphabet),
      });
    }
    return lines;
  } finally {
    for (const b of backends) await b.close();
  }
}
