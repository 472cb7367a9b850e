import { modelId, toHex } from '@stoa/ir';
import { compareRecognizer, importRecognizer, recognizerLines } from '../recognizer.js';

/**
 * `npm run ocr:cer [-- lines] [--i8 | --mixed] [--i8-weights] [--calibration n] [--mse-bits n] [--max] [--headroom n]`:
 * integer vs float PP-OCRv4 recognizer, CER on rendered lines; i16 activations and i16 weights
 * in the ordinary convolutions by default (`--i8-weights`: i8 weights everywhere, as before).
 */
const args = process.argv.slice(2);
const dtype = args.includes('--mixed') ? 'mixed' : args.includes('--i8') ? 'i8' : 'i16';
const lines = Number(
  args.find(
    (a, i) => /^\d+$/.test(a) && !['--calibration', '--mse-bits', '--headroom'].includes(args[i - 1]!),
  ) ?? 500,
);
const calibrationFlag = args.indexOf('--calibration');
const CALIBRATION_LINES = calibrationFlag >= 0 ? Number(args[calibrationFlag + 1]) : 4;
const bitsFlag = args.indexOf('--mse-bits');
const mseBits = bitsFlag >= 0 ? Number(args[bitsFlag + 1]) : undefined;
const headroomFlag = args.indexOf('--headroom');
const headroomBits = headroomFlag >= 0 ? Number(args[headroomFlag + 1]) : undefined;
const method = args.includes('--max') ? 'max' : 'mse';
const convWeightDtype = args.includes('--i8-weights') ? 'i8' : 'i16';
const started = Date.now();
const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

console.error(
  `rendering ${CALIBRATION_LINES} calibration lines and importing the recognizer (about a minute per line)…`,
);
// Unsplit: a ConvAccumulate chain computes its Conv's integers, and the whole Convs' trace is
// ~25× smaller (BENCHMARKS.md), so the CER is the split model's at a fraction of the time.
const result = importRecognizer(recognizerLines(CALIBRATION_LINES, 1), dtype, mseBits, {
  method,
  headroomBits,
  convWeightDtype,
  convSplit: false,
});
console.error(`modelId ${toHex(modelId(result.model))} (Convs unsplit); rendering ${lines} test lines…`);
const test = recognizerLines(lines, 2);
// Running totals every 25 lines: a long run cut short still reports what it measured.
const report = await compareRecognizer(result, test, (soFar) => {
  if (soFar.lines % 25 === 0 || soFar.lines === test.length)
    console.error(
      `  ${soFar.lines}/${test.length} lines, ${Math.round((Date.now() - started) / 1000)} s: ` +
        `CER float ${percent(soFar.floatCer)}, integer ${percent(soFar.integerCer)}, ` +
        `identical ${soFar.sameText}`,
    );
});
console.log(
  `PP-OCRv4 recognizer, ${report.lines} lines (${report.characters} characters), ${dtype === 'mixed' ? 'i8 backbone, i16 neck and head' : dtype} activations, ${convWeightDtype} weights in the group-1 convolutions`,
);
console.log(`  CER float (onnxruntime):        ${percent(report.floatCer)}`);
console.log(`  CER integer (traced backend):   ${percent(report.integerCer)}`);
console.log(
  `  difference:                     ${((report.integerCer - report.floatCer) * 100).toFixed(2)} pp`,
);
console.log(`  lines transcribed identically:  ${report.sameText}/${report.lines}`);
