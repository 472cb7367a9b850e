import { readFileSync } from 'node:fs';
import { type IrError, importOnnxFloat, quantizeInput, run } from '@stoa/ir';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { createIntegerBackend } from './classifier.js';
import { dbBoxes, iou, matchedBoxes } from './db-boxes.js';
import { DETECTOR_DIMS, DETECTOR_FILE, detectorInput, importDetector, textPages } from './detector.js';

/** A small page keeps CI fast; `npm run ocr:detect` measures full 192 × 384 pages. */
const SMALL = { height: 64, width: 96 };

describe('PP-OCRv4 DB text detector (pretrained)', () => {
  const result = importDetector(textPages(1, 1, 2, SMALL));

  it('imports with Resize and ConvTranspose (split over channels) as integer ops, and runs bit-identically on the traced backend and the reference', async () => {
    const ops = new Set(result.model.graph.edgeOps);
    // Both ConvTransposes open more than DETECTOR_CONV_SPLIT_CHUNKS a tile even at 64 × 96.
    for (const op of ['Resize', 'ConvTransposeAccumulate', 'ConvAccumulate', 'HardSigmoid', 'Sigmoid'])
      expect(ops).toContain(op);
    const backend = await createIntegerBackend(result);
    try {
      // Every step but the final Sigmoid (exp, rounding division) has an exact onnxruntime lowering.
      const fallbackOps = backend.fallbackSteps.map(
        (i) => result.model.graph.edgeOps[result.model.schedule[i]!],
      );
      expect(fallbackOps).toEqual(['Sigmoid']);
      for (const page of textPages(1, 3, 2, SMALL)) {
        const input = quantizeInput(result.model.graph, 0, detectorInput(page.image));
        const fast = await backend.run([input]);
        const reference = run(result.model, [input], { keepIntermediates: true }).values!;
        reference.forEach((expected, n) => {
          expect(Array.from(fast.values[n]!), result.model.graph.nodeNames[n]).toEqual(Array.from(expected!));
        });
      }
    } finally {
      await backend.close();
    }
  });

  it('refuses a Resize it cannot compute exactly, naming the node and the attribute', () => {
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(DETECTOR_FILE));
    const resize = model.graph!.node!.find((n) => n.opType === 'Resize')!;
    const mode = resize.attribute!.find((a) => a.name === 'mode')!;
    mode.s = new TextEncoder().encode('linear');
    const bytes = onnxProto.onnx.ModelProto.encode(model).finish();
    let error: unknown;
    try {
      importOnnxFloat(bytes, { dims: DETECTOR_DIMS });
    } catch (e) {
      error = e;
    }
    expect((error as IrError).message).toMatch(/p2o\.Resize\.0/);
    expect((error as IrError).message).toMatch(/mode=linear is not supported/);
  });

  it('finds DB boxes: threshold, 8-connected components, score filter, unclip', () => {
    const [h, w] = [20, 40];
    const prob = new Float64Array(h * w);
    const fill = (x0: number, y0: number, x1: number, y1: number, p: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * w + x] = p;
    };
    fill(5, 5, 25, 10, 0.9); // a text line
    fill(30, 2, 33, 5, 0.4); // above the pixel threshold, below the box score: dropped
    fill(36, 15, 38, 17, 0.9); // smaller than min size: dropped
    const boxes = dbBoxes(prob, h, w);
    expect(boxes).toHaveLength(1);
    // 20 × 5 grown by 20·5·1.5 / (2·25) = 3 on each side.
    expect(boxes[0]).toMatchObject({ x0: 2, y0: 2, x1: 28, y1: 13 });
    expect(iou(boxes[0]!, { ...boxes[0]!, x1: 27 })).toBeCloseTo(25 / 26);
    expect(matchedBoxes(boxes, [{ ...boxes[0]!, y1: 11 }])).toBe(0);
  });
});
