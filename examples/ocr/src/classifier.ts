import {
  type ConvSplit,
  createOnnxRuntimeBackend,
  dequantizeOutput,
  type ImportResult,
  importOnnx,
  type OnnxRuntimeBackend,
  quantizeInput,
  Random,
} from '@stoa/ir';
import * as ort from 'onnxruntime-node';
import { textLines } from './corpus.js';
import {
  CLASSIFIER_DIMS,
  CLASSIFIER_FILE,
  CLASSIFIER_HEIGHT,
  CLASSIFIER_WIDTH,
  classifierBytes,
} from './models.js';
import { FONTS, type RgbImage, renderLine } from './render.js';

/** A rendered line and its orientation label (0: upright, 1: rotated by 180°). */
export interface LabeledLine {
  readonly text: string;
  readonly label: 0 | 1;
  readonly input: Float32Array;
}

/** Bilinear sample of channel c at real coordinates (x, y), pixel centres at integers. */
function sample(image: RgbImage, x: number, y: number, c: number): number {
  const x0 = Math.max(0, Math.min(image.width - 1, Math.floor(x)));
  const y0 = Math.max(0, Math.min(image.height - 1, Math.floor(y)));
  const x1 = Math.min(image.width - 1, x0 + 1);
  const y1 = Math.min(image.height - 1, y0 + 1);
  const fx = Math.max(0, Math.min(1, x - x0));
  const fy = Math.max(0, Math.min(1, y - y0));
  const at = (xx: number, yy: number) => image.data[(yy * image.width + xx) * 3 + c]!;
  const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
  const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/**
 * PaddleOCR's classifier preprocessing: resize to height 48 keeping the aspect ratio (width at
 * most 192, squeezed beyond), scale to [−1, 1], channels first, zero padding on the right.
 */
export function classifierInput(image: RgbImage): Float32Array {
  return lineInput(image, CLASSIFIER_HEIGHT, CLASSIFIER_WIDTH);
}

/** PaddleOCR's line preprocessing for an H × W network input (classifier and recognizer). */
export function lineInput(image: RgbImage, H: number, W: number): Float32Array {
  const width = Math.min(W, Math.ceil((H * image.width) / image.height));
  const out = new Float32Array(3 * H * W);
  const sx = image.width / width;
  const sy = image.height / H;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < width; x++) {
        const v = sample(image, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5, c);
        out[(c * H + y) * W + x] = (v / 255 - 0.5) / 0.5;
      }
    }
  }
  return out;
}

/** `count` Moby Dick lines, each rendered upright and upside down in a DejaVu face. */
export function labeledLines(count: number, seed: number): LabeledLine[] {
  const rng = new Random(seed);
  return textLines(count, seed).flatMap((text, i) => {
    const font = FONTS[i % FONTS.length]!;
    const pointSize = rng.int(18, 40);
    return ([0, 1] as const).map((label) => ({
      text,
      label,
      input: classifierInput(renderLine(text, { font, pointSize, rotated: label === 1 })),
    }));
  });
}

/**
 * How the classifier's group-1 Convs are split over their input channels (ConvAccumulate
 * chains, docs/decisions.md): a tile of a link opens at most 4 input chunks and computes at most
 * 48 products an output, the detector's budget, which keeps every whole one-step under 500k gas
 * (BENCHMARKS.md, the classifier's and recognizer's budget split).
 */
export const CLASSIFIER_CONV_SPLIT: ConvSplit = { tileChunks: 4, tileProducts: 48 };

/**
 * The classifier quantized to the integer op set, calibrated on rendered lines. i16
 * activations agree with the float model more often; i8 ones run all convolutions on
 * onnxruntime's integer kernels (about 10× faster on the traced backend today). `convSplit`
 * (default `CLASSIFIER_CONV_SPLIT`; false keeps every Conv whole) splits the wide Convs.
 */
export function importClassifier(
  calibration: readonly LabeledLine[],
  activationDtype: 'i8' | 'i16' = 'i8',
  convSplit: ConvSplit | false = CLASSIFIER_CONV_SPLIT,
): ImportResult {
  return importOnnx(classifierBytes(), {
    dims: CLASSIFIER_DIMS,
    calibration: calibration.map((line) => [line.input]),
    name: 'ppocr-cls-mobile-v2.0',
    activationDtype,
    calibrationMethod: 'mse',
    convSplit: convSplit || undefined,
    label: CLASSIFIER_FILE,
  });
}

/** The float classifier as published, run by onnxruntime. */
export async function floatClassifier(): Promise<(input: Float32Array) => Promise<number[]>> {
  const session = await ort.InferenceSession.create(CLASSIFIER_FILE);
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  return async (input) => {
    const feeds = {
      [inputName!]: new ort.Tensor('float32', input, [1, 3, CLASSIFIER_HEIGHT, CLASSIFIER_WIDTH]),
    };
    const result = await session.run(feeds);
    return Array.from(result[outputName!]!.data as Float32Array);
  };
}

/** The integer classifier on the traced onnxruntime backend: dequantized probabilities. */
export function integerClassifier(
  result: ImportResult,
  backend: OnnxRuntimeBackend,
): (input: Float32Array) => Promise<number[]> {
  const graph = result.model.graph;
  return async (input) => {
    const { outputs } = await backend.run([quantizeInput(graph, 0, input)]);
    return Array.from(dequantizeOutput(graph, 0, outputs[0]!));
  };
}

export async function createIntegerBackend(result: ImportResult): Promise<OnnxRuntimeBackend> {
  return createOnnxRuntimeBackend(result.model);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
