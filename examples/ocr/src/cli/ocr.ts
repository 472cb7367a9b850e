import { resolve } from 'node:path';
import { importClassifier, labeledLines } from '../classifier.js';
import { importDetector, textPages } from '../detector.js';
import { readPage, readText } from '../pipeline.js';
import { importRecognizer, recognizerLines } from '../recognizer.js';

/**
 * `npm run ocr -- <image file>`: PP-OCRv4's detector, the PP-OCR direction classifier and the
 * PP-OCRv4 recognizer, all as integer models on the traced backend, on one image (any format
 * ImageMagick reads; scaled to fit 384 × 192). Prints one line per detected box, top to bottom.
 */
// npm runs workspace scripts in the workspace: a relative path is the caller's (INIT_CWD).
const arg = process.argv[2];
const file = arg ? resolve(process.env.INIT_CWD ?? process.cwd(), arg) : undefined;
if (!file) {
  console.error('usage: npm run ocr -- <image file>');
  process.exit(2);
}
const page = readPage(file);
console.error('importing the detector, the classifier and the recognizer (minutes: calibration)…');
const models = {
  detector: importDetector(textPages(2, 1)),
  classifier: importClassifier(labeledLines(6, 1)),
  recognizer: importRecognizer(recognizerLines(4, 1)),
};
for (const line of await readText(models, page)) {
  const { x0, y0, x1, y1 } = line.box;
  console.log(`[${x0},${y0},${x1},${y1}]${line.upsideDown ? ' (turned 180°)' : ''} ${line.text}`);
}
