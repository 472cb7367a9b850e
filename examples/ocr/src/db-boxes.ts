/** An axis-aligned text box on the detector's input, in pixels: [x0, x1) × [y0, y1). */
export interface TextBox {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  /** Mean probability inside the component. */
  readonly score: number;
}

export interface DbOptions {
  /** Pixels with probability above this are text (PaddleOCR's det_db_thresh, 0.3). */
  readonly threshold?: number;
  /** Components whose mean probability is below this are dropped (det_db_box_thresh, 0.6). */
  readonly boxThreshold?: number;
  /** Boxes grow by area·ratio / perimeter on each side (det_db_unclip_ratio, 1.5). */
  readonly unclipRatio?: number;
  /** Components with a side shorter than this are dropped (PaddleOCR's min_size, 3). */
  readonly minSize?: number;
}

/**
 * DB post-processing, axis-aligned: the probability map thresholded, its 8-connected
 * components labelled, each kept component's bounding box scored by its mean probability and
 * grown ("unclipped") by the DB offset, clamped to the map.
 */
export function dbBoxes(
  prob: ArrayLike<number>,
  height: number,
  width: number,
  options: DbOptions = {},
): TextBox[] {
  const { threshold = 0.3, boxThreshold = 0.6, unclipRatio = 1.5, minSize = 3 } = options;
  const label = new Int32Array(height * width).fill(-1);
  const boxes: TextBox[] = [];
  const stack: number[] = [];
  for (let start = 0; start < label.length; start++) {
    if (label[start] !== -1 || !(prob[start]! > threshold)) continue;
    let [x0, y0, x1, y1, sum, count] = [width, height, 0, 0, 0, 0];
    label[start] = boxes.length;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      const [y, x] = [Math.floor(p / width), p % width];
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
      sum += prob[p]!;
      count++;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const [ny, nx] = [y + dy, x + dx];
          if (ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (label[q] === -1 && prob[q]! > threshold) {
            label[q] = boxes.length;
            stack.push(q);
          }
        }
      }
    }
    const score = sum / count;
    if (Math.min(x1 - x0, y1 - y0) < minSize || score < boxThreshold) continue;
    const [w, h] = [x1 - x0, y1 - y0];
    const d = (w * h * unclipRatio) / (2 * (w + h));
    boxes.push({
      x0: Math.max(0, Math.round(x0 - d)),
      y0: Math.max(0, Math.round(y0 - d)),
      x1: Math.min(width, Math.round(x1 + d)),
      y1: Math.min(height, Math.round(y1 + d)),
      score,
    });
  }
  return boxes;
}

/** Intersection over union of two boxes. */
export function iou(a: TextBox, b: TextBox): number {
  const w = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const h = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = w * h;
  const area = (t: TextBox) => (t.x1 - t.x0) * (t.y1 - t.y0);
  return inter / (area(a) + area(b) - inter);
}

/** How many of `reference`'s boxes have a box in `other` with IoU ≥ `bar` (each used once). */
export function matchedBoxes(reference: readonly TextBox[], other: readonly TextBox[], bar = 0.9): number {
  const used = new Set<number>();
  let matched = 0;
  for (const r of reference) {
    let best = -1;
    let bestIou = bar;
    other.forEach((o, k) => {
      const v = iou(r, o);
      if (!used.has(k) && v >= bestIou) [best, bestIou] = [k, v];
    });
    if (best >= 0) {
      used.add(best);
      matched++;
    }
  }
  return matched;
}
