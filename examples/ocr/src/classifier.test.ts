import { readFileSync } from 'node:fs';
import { importOnnxFloat, quantizeInput, run } from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { createIntegerBackend, importClassifier, labeledLines } from './classifier.js';
import { DETECTOR_DIMS } from './detector.js';
import { compareClassifier } from './evaluate.js';
import { CLASSIFIER_FILE } from './models.js';

/** Small sets keep CI fast; `npm run ocr:accuracy` measures 500 lines (1,000 images). */
const CALIBRATION_LINES = 6;
const TEST_LINES = 25;

describe('PP-OCR mobile v2.0 text-direction classifier (pretrained MobileNetV3)', () => {
  const result = importClassifier(labeledLines(CALIBRATION_LINES, 1));

  it('imports with every shape chain folded, HardSwish fused, and every op in the integer op set', () => {
    const ops = new Set(result.model.graph.edgeOps);
    expect(ops).toContain('HardSigmoid');
    for (const folded of ['Shape', 'Cast', 'Slice', 'Div', 'BatchNormalization', 'Clip'])
      expect(ops).not.toContain(folded);
    // Every written-out HardSwish (Add 3, Clip 0 6, Mul, Div 6) became one node.
    const floatOps = result.floatGraph.nodes.map((n) => n.op);
    expect(floatOps.filter((op) => op === 'HardSwish').length).toBeGreaterThan(10);
    expect(floatOps).not.toContain('Clip');
  });

  it('decides like the float model on rendered Moby Dick lines, upright and upside down', async () => {
    // On the unsplit import: its integers are the split model's (a ConvAccumulate chain computes
    // its Conv's, libs/ir's conv-accumulate tests), and its traced backend is 2.5× faster.
    const whole = importClassifier(labeledLines(CALIBRATION_LINES, 1), 'i8', false);
    expect(whole.model.schedule.length).toBeLessThan(result.model.schedule.length);
    const report = await compareClassifier(whole, labeledLines(TEST_LINES, 2));
    console.log(`classifier on ${report.images} images: ${JSON.stringify(report)}`);
    // i8 activations; the 1,000-image figures (and i16's) are in BENCHMARKS.md.
    expect(report.agreeing / report.images).toBeGreaterThanOrEqual(0.96);
    expect(report.integerCorrect / report.images).toBeGreaterThanOrEqual(0.9);
  });

  it('runs bit-identically on the traced onnxruntime backend and the reference interpreter', async () => {
    const [line] = labeledLines(1, 3);
    const input = quantizeInput(result.model.graph, 0, line!.input);
    const backend = await createIntegerBackend(result);
    try {
      const fast = await backend.run([input]);
      const reference = run(result.model, [input], { keepIntermediates: true }).values!;
      reference.forEach((expected, n) => {
        expect(Array.from(fast.values[n]!), result.model.graph.nodeNames[n]).toEqual(Array.from(expected!));
      });
      // Only Softmax (exp and rounding division) runs on the reference kernel between segments.
      const fallbackOps = backend.fallbackSteps.map(
        (i) => result.model.graph.edgeOps[result.model.schedule[i]!],
      );
      expect(new Set(fallbackOps)).toEqual(new Set(['Softmax']));
    } finally {
      await backend.close();
    }
  });

  it('imports the recognizer and the detector', () => {
    const load = (file: string) =>
      readFileSync(CLASSIFIER_FILE.replace('ch_ppocr_mobile_v2.0_cls_infer.onnx', file));
    // The recognizer imports now: its layer norms and HardSwishes fuse, q/k/v are static slices.
    const rec = importOnnxFloat(load('ch_PP-OCRv4_rec_infer.onnx'), {
      dims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 320 },
    });
    const recOps = rec.nodes.map((n) => n.op);
    expect(recOps.filter((op) => op === 'LayerNorm')).toHaveLength(5);
    expect(recOps.filter((op) => op === 'Slice')).toHaveLength(6);
    for (const gone of ['Pow', 'Sqrt', 'Shape', 'Cast']) expect(recOps).not.toContain(gone);
    // The detector imports too (Resize and ConvTranspose; detector.test.ts checks the rest).
    const det = importOnnxFloat(load('ch_PP-OCRv4_det_infer.onnx'), { dims: DETECTOR_DIMS });
    expect(det.nodes.filter((n) => n.op === 'ConvTranspose')).toHaveLength(2);
    expect(det.nodes.filter((n) => n.op === 'Resize')).toHaveLength(6);
  });
});
