import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  dequantizeOutput,
  type ImportResult,
  importOnnx,
  type OnnxRuntimeBackend,
  quantizeInput,
  Random,
} from '@stoa/ir';
import * as ort from 'onnxruntime-node';
import { textLines } from './corpus.js';
import { CLASSIFIER_FILE } from './models.js';
import { FONTS, type RgbImage, renderLine } from './render.js';

/** PP-OCRv4's DB text detector (1.17 M parameters), shipped beside the classifier. */
export const DETECTOR_FILE = join(dirname(CLASSIFIER_FILE), 'ch_PP-OCRv4_det_infer.onnx');
/** The fixed input size it is imported at: a small page of a few lines (multiples of 32). */
export const DETECTOR_HEIGHT = 192;
export const DETECTOR_WIDTH = 384;
export const DETECTOR_DIMS = {
  'p2o.DynamicDimension.0': 1,
  'p2o.DynamicDimension.1': DETECTOR_HEIGHT,
  'p2o.DynamicDimension.2': DETECTOR_WIDTH,
} as const;

/** PaddleOCR's detector normalization (ImageNet mean and deviation, channels in BGR order). */
const MEAN = [0.406, 0.456, 0.485];
const STD = [0.225, 0.224, 0.229];

/** A rendered page and the lines drawn on it. */
export interface TextPage {
  readonly lines: readonly string[];
  readonly image: RgbImage;
}

/** A page size in pixels (multiples of 32 for the detector). */
export interface PageSize {
  readonly height: number;
  readonly width: number;
}

export const DETECTOR_SIZE: PageSize = { height: DETECTOR_HEIGHT, width: DETECTOR_WIDTH };

/** Copies `line` into `page` at (x, y), downscaled by an integer factor when it is too wide. */
function place(page: RgbImage, line: RgbImage, x: number, y: number, factor: number): void {
  const w = Math.floor(line.width / factor);
  const h = Math.floor(line.height / factor);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      for (let k = 0; k < 3; k++) {
        page.data[((y + r) * page.width + x + c) * 3 + k] =
          line.data[(r * factor * line.width + c * factor) * 3 + k]!;
      }
    }
  }
}

/**
 * `count` pages, each of up to `linesPerPage` Moby Dick lines rendered in a random DejaVu face
 * and size, black on white, stacked at random offsets (lines too wide are downscaled).
 */
export function textPages(count: number, seed: number, linesPerPage = 4, size = DETECTOR_SIZE): TextPage[] {
  const rng = new Random(seed);
  const texts = textLines(count * linesPerPage, seed);
  return Array.from({ length: count }, (_, p) => {
    const image = { ...size, data: new Uint8Array(size.height * size.width * 3).fill(255) };
    const lines: string[] = [];
    let y = rng.int(2, 10);
    for (const text of texts.slice(p * linesPerPage, (p + 1) * linesPerPage)) {
      const line = renderLine(text, { font: rng.pick(FONTS), pointSize: rng.int(14, 24), rotated: false });
      const factor = Math.ceil(line.width / (size.width - 8));
      const [w, h] = [Math.floor(line.width / factor), Math.floor(line.height / factor)];
      if (y + h > size.height - 2) break;
      place(image, line, rng.int(2, size.width - w - 2), y, factor);
      lines.push(text);
      y += h + rng.int(0, 12);
    }
    return { lines, image };
  });
}

/** The detector's input: a page normalized, CHW, BGR (sides multiples of 32). */
export function detectorInput(image: RgbImage): Float32Array {
  if (image.width % 32 !== 0 || image.height % 32 !== 0)
    throw new Error(`detector input sides must be multiples of 32, got ${image.width}x${image.height}`);
  const plane = image.height * image.width;
  const out = new Float32Array(3 * plane);
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < plane; i++)
      out[k * plane + i] = (image.data[i * 3 + (2 - k)]! / 255 - MEAN[k]!) / STD[k]!;
  }
  return out;
}

export interface DetectorImportOptions {
  /** Activation dtype (default i16: i8 moves box edges by a pixel or two, see BENCHMARKS.md). */
  readonly activationDtype?: 'i8' | 'i16';
  /** How activation scales are chosen (default 'max': no calibrated value saturates). */
  readonly calibrationMethod?: 'max' | 'mse';
  /** Bits of headroom below every calibrated frac (default 0). */
  readonly headroomBits?: number;
  /** Weights of the ordinary (group-1) convolutions (default i16, as the recognizer's, docs/semantics.md §3). */
  readonly convWeightDtype?: 'i8' | 'i16';
  /**
   * Weights of the depthwise convolutions (default i16: with i8 ones 87.5% of the float boxes
   * were matched, BENCHMARKS.md).
   */
  readonly groupedWeightDtype?: 'i8' | 'i16';
  /**
   * The most input chunks one tile of a ConvAccumulate link may open (default
   * `DETECTOR_CONV_SPLIT_CHUNKS`): every group-1 Conv whose tile would open more is split over its
   * input channels, as many a link as fit (the same integers, one-steps within one call:
   * docs/decisions.md). 0 keeps every Conv whole.
   */
  readonly convSplitChunks?: number;
}

/**
 * Input chunks a tile of a split detector Conv may open: with the link's other openings (its
 * accumulator, weights, proofs) a one-step stays near 13 KiB of calldata, under 500k gas at
 * EIP-7623's 40 gas a byte (BENCHMARKS.md, the detector's whole one-steps).
 */
export const DETECTOR_CONV_SPLIT_CHUNKS = 4;
/**
 * Products a link of a split detector Conv may compute for one output (channels · kh · kw): a
 * one-output tile of 21 channels of a 3 × 3 kernel needed 727k gas, of 5 channels 415k.
 */
export const DETECTOR_CONV_SPLIT_PRODUCTS = 48;
/**
 * Input chunks a tile of a split detector Conv's last (requantizing) link may open: its i16
 * output chunk covers twice an accumulator chunk's outputs, so at 4 chunks the last link of the
 * 3 × 3 Conv over 96 channels of 48 × 96 needed 511k gas (its other links ≤ 455k).
 */
export const DETECTOR_CONV_SPLIT_LAST_CHUNKS = 3;

/** The detector quantized to the integer op set at the calibration pages' size. */
export function importDetector(
  calibration: readonly TextPage[],
  options: DetectorImportOptions = {},
): ImportResult {
  const { height, width } = calibration[0]!.image;
  const splitChunks = options.convSplitChunks ?? DETECTOR_CONV_SPLIT_CHUNKS;
  return importOnnx(readFileSync(DETECTOR_FILE), {
    dims: { ...DETECTOR_DIMS, 'p2o.DynamicDimension.1': height, 'p2o.DynamicDimension.2': width },
    calibration: calibration.map((page) => [detectorInput(page.image)]),
    name: 'ppocr-det-v4',
    activationDtype: options.activationDtype ?? 'i16',
    calibrationMethod: options.calibrationMethod ?? 'max',
    headroomBits: options.headroomBits,
    convWeightDtype: options.convWeightDtype ?? 'i16',
    groupedWeightDtype: options.groupedWeightDtype ?? 'i16',
    convSplit:
      splitChunks > 0
        ? {
            tileChunks: splitChunks,
            tileProducts: DETECTOR_CONV_SPLIT_PRODUCTS,
            lastTileChunks: Math.min(splitChunks, DETECTOR_CONV_SPLIT_LAST_CHUNKS),
          }
        : undefined,
    label: DETECTOR_FILE,
  });
}

/** A detector: page input → probability map [H · W]. */
export type Detector = (input: Float32Array) => Promise<Float64Array>;

/** The float detector as published, run by onnxruntime on pages of `size`. */
export async function floatDetector(size = DETECTOR_SIZE): Promise<Detector> {
  const session = await ort.InferenceSession.create(DETECTOR_FILE);
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  return async (input) => {
    const feeds = { [inputName!]: new ort.Tensor('float32', input, [1, 3, size.height, size.width]) };
    const result = await session.run(feeds);
    return Float64Array.from(result[outputName!]!.data as Float32Array);
  };
}

/** The integer detector on the traced onnxruntime backend: the dequantized probability map. */
export function integerDetector(result: ImportResult, backend: OnnxRuntimeBackend): Detector {
  const graph = result.model.graph;
  return async (input) => {
    const { outputs } = await backend.run([quantizeInput(graph, 0, input)]);
    return dequantizeOutput(graph, 0, outputs[0]!);
  };
}
