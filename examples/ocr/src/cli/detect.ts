import { modelId, toHex } from '@stoa/ir';
import type { TextBox } from '../db-boxes.js';
import { type DetectorImportOptions, importDetector, textPages } from '../detector.js';
import { compareDetector } from '../evaluate-detector.js';

/**
 * `npm run ocr:detect [-- pages] [--i8] [--mse] [--i8-weights] [--i8-depthwise] [--calibration n] [--quiet]`: DB boxes of the
 * float detector (onnxruntime) and of the integer one (traced onnxruntime backend) on rendered
 * pages of Moby Dick lines, and the share of float boxes the integer model finds with IoU ≥ 0.9.
 */
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const numberFlag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const pages = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')) ?? 125);
const calibrationPages = numberFlag('--calibration', 4);
const options: DetectorImportOptions = {
  activationDtype: flag('--i8') ? 'i8' : 'i16',
  calibrationMethod: flag('--mse') ? 'mse' : 'max',
  convWeightDtype: flag('--i8-weights') ? 'i8' : 'i16',
  groupedWeightDtype: flag('--i8-weights') || flag('--i8-depthwise') ? 'i8' : 'i16',
};
const percent = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(2)}%`;
const show = (boxes: readonly TextBox[]) => boxes.map((b) => `[${b.x0},${b.y0},${b.x1},${b.y1}]`).join(' ');

console.error(`rendering ${calibrationPages} calibration pages and importing the detector (minutes)…`);
const result = importDetector(textPages(calibrationPages, 1), options);
console.error(`modelId ${toHex(modelId(result.model))}; rendering ${pages} test pages…`);
const test = textPages(pages, 2);
const report = await compareDetector(result, test, (index, boxes) => {
  if (!flag('--quiet')) {
    console.log(`page ${index}: float  ${show(boxes.float)}`);
    console.log(`page ${index}: integer ${show(boxes.integer)}`);
  }
  if ((index + 1) % 25 === 0) console.error(`  ${index + 1}/${test.length} pages`);
});
console.log(
  `PP-OCRv4 detector, ${report.pages} pages (${test.reduce((n, p) => n + p.lines.length, 0)} lines), ${options.activationDtype} activations, ${options.convWeightDtype} conv weights, ${options.groupedWeightDtype} depthwise weights, '${options.calibrationMethod}' calibration on ${calibrationPages} pages`,
);
console.log(`  boxes: float ${report.floatBoxes}, integer ${report.integerBoxes}`);
console.log(
  `  float boxes matched by the integer model with IoU >= 0.9: ${report.matched}/${report.floatBoxes} (${percent(report.matched, report.floatBoxes)})`,
);
console.log(`  largest |probability difference|: ${report.maxProbabilityError.toFixed(4)}`);
