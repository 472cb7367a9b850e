import { modelId, toHex } from '@stoa/ir';
import { compareRecognizer, importRecognizer, recognizerLines } from '../recognizer.js';

/** `npm run ocr:cer [-- lines] [--i16] [--calibration n]`: integer vs float PP-OCRv4 recognizer, CER on rendered lines. */
const args = process.argv.slice(2);
// i16 is refused today: a LayerNorm row of 120 i16 values can exceed the 2^52 exact-double bound.
const dtype = args.includes('--i16') ? 'i16' : 'i8';
const lines = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--calibration') ?? 500);
const calibrationFlag = args.indexOf('--calibration');
const CALIBRATION_LINES = calibrationFlag >= 0 ? Number(args[calibrationFlag + 1]) : 4;
const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

console.error(
  `rendering ${CALIBRATION_LINES} calibration lines and importing the recognizer (about a minute per line)…`,
);
const result = importRecognizer(recognizerLines(CALIBRATION_LINES, 1), dtype);
console.error(`modelId ${toHex(modelId(result.model))}; rendering ${lines} test lines…`);
const test = recognizerLines(lines, 2);
const report = await compareRecognizer(result, test, (done) => {
  if (done % 25 === 0 || done === test.length) console.error(`  ${done}/${test.length} lines`);
});
console.log(
  `PP-OCRv4 recognizer, ${report.lines} lines (${report.characters} characters), ${dtype} activations`,
);
console.log(`  CER float (onnxruntime):        ${percent(report.floatCer)}`);
console.log(`  CER integer (traced backend):   ${percent(report.integerCer)}`);
console.log(
  `  difference:                     ${((report.integerCer - report.floatCer) * 100).toFixed(2)} pp`,
);
console.log(`  lines transcribed identically:  ${report.sameText}/${report.lines}`);
