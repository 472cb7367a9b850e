import { modelId, toHex } from '@stoa/ir';
import { importClassifier, labeledLines } from '../classifier.js';
import { compareClassifier } from '../evaluate.js';

/** `npm run ocr:accuracy [-- lines] [--i16]`: integer vs float classifier on rendered Moby Dick lines. */
const args = process.argv.slice(2);
const dtype = args.includes('--i16') ? 'i16' : 'i8';
const lines = Number(args.find((a) => /^\d+$/.test(a)) ?? 500);
const CALIBRATION_LINES = 12;
const percent = (n: number, d: number) => `${((100 * n) / d).toFixed(2)}%`;

console.error(`rendering ${CALIBRATION_LINES} calibration lines and importing the classifier…`);
// Unsplit: a ConvAccumulate chain computes its Conv's integers, and the traced backend runs the
// whole Convs 2.5× faster, so the decisions are the split model's.
const result = importClassifier(labeledLines(CALIBRATION_LINES, 1), dtype, false);
console.error(
  `modelId ${toHex(modelId(result.model))} (Convs unsplit); rendering ${lines} test lines (upright and rotated)…`,
);
const test = labeledLines(lines, 2);
const report = await compareClassifier(result, test, (done) => {
  if (done % 100 === 0 || done === test.length) console.error(`  ${done}/${test.length} images`);
});
console.log(
  `PP-OCR mobile v2.0 classifier, ${report.images} images (${lines} lines × 0°/180°), ${dtype} activations`,
);
console.log(
  `  decisions equal to the float model: ${report.agreeing}/${report.images} (${percent(report.agreeing, report.images)})`,
);
console.log(`  float model correct:   ${percent(report.floatCorrect, report.images)}`);
console.log(`  integer model correct: ${percent(report.integerCorrect, report.images)}`);
console.log(`  largest |probability difference|: ${report.maxProbabilityError.toFixed(4)}`);
