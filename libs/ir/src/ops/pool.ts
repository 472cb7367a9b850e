import { dtypeInfo } from '../dtype.js';
import { divRound } from '../fixed-point.js';
import type { Attrs, TensorType } from '../graph/types.js';
import { formatShape } from '../tensor.js';
import { sameTypeProblems } from './elementwise.js';
import { intAttr, intsAttr, type OpDefinition, perTensorProblems } from './op.js';
import { type Window2d, windowAttrs, windowOf, windowOutput } from './window.js';

type Reduce = (x: Int32Array, win: Window2d, at: WindowAt, type: TensorType, attrs: Attrs) => number;

interface WindowAt {
  readonly plane: number;
  readonly h: number;
  readonly w: number;
  readonly i: number;
  readonly j: number;
}

/** Calls visit(flatIndex) for each in-bounds input position of the window at output (i, j). */
function forEachInWindow(win: Window2d, at: WindowAt, visit: (index: number) => void): void {
  for (let u = 0; u < win.kernel[0]; u++) {
    const y = at.i * win.strides[0] + u * win.dilations[0] - win.pads[0];
    if (y < 0 || y >= at.h) continue;
    for (let v = 0; v < win.kernel[1]; v++) {
      const x = at.j * win.strides[1] + v * win.dilations[1] - win.pads[1];
      if (x >= 0 && x < at.w) visit((at.plane * at.h + y) * at.w + x);
    }
  }
}

function windowedPool(
  name: string,
  code: number,
  reduce: Reduce,
  extraAttrs: OpDefinition['attrs'],
): OpDefinition {
  return {
    name,
    code,
    minInputs: 1,
    maxInputs: 1,
    attrs: { kernel_shape: { kind: 'ints' }, ...windowAttrs, ...extraAttrs },
    inferShape(inTypes, attrs) {
      const x = inTypes[0]!;
      if (x.shape.length !== 4) return `input must be NCHW (rank 4), got ${formatShape(x.shape)}`;
      const kernel = intsAttr(attrs, 'kernel_shape');
      if (kernel.length !== 2) return `kernel_shape must have 2 values, got ${kernel.length}`;
      const win = windowOf(attrs, kernel);
      if (
        win.pads[0] >= kernel[0]! ||
        win.pads[2] >= kernel[0]! ||
        win.pads[1] >= kernel[1]! ||
        win.pads[3] >= kernel[1]!
      ) {
        return `pads ${win.pads.join(',')} must be smaller than the kernel ${kernel.join('x')}`;
      }
      const out = windowOutput(x.shape[2]!, x.shape[3]!, win);
      return typeof out === 'string' ? out : [x.shape[0]!, x.shape[1]!, out[0], out[1]];
    },
    check: ({ inTypes, outType }) => {
      const problems = perTensorProblems([inTypes[0]!, outType], ['the input', 'the output']);
      if (problems.length > 0) return problems;
      return sameTypeProblems({ ...inTypes[0]!, shape: outType.shape }, outType);
    },
    elementWork: (_in, _out, attrs) =>
      intsAttr(attrs, 'kernel_shape')[0]! * intsAttr(attrs, 'kernel_shape')[1]!,
    tileGranule: () => 1,
    kernel({ inputs, inTypes, outType, attrs }, out, start, end) {
      const x = inputs[0]!;
      const [, , h, w] = inTypes[0]!.shape as [number, number, number, number];
      const [, , ho, wo] = outType.shape as [number, number, number, number];
      const win = windowOf(attrs, intsAttr(attrs, 'kernel_shape'));
      for (let idx = start; idx < end; idx++) {
        const j = idx % wo;
        const i = Math.floor(idx / wo) % ho;
        const plane = Math.floor(idx / (wo * ho));
        out[idx] = reduce(x, win, { plane, h, w, i, j }, outType, attrs);
      }
    },
  };
}

/** Max over the in-bounds window positions (padding never wins). */
export const MaxPool = windowedPool(
  'MaxPool',
  30,
  (x, win, at, type) => {
    let best = dtypeInfo(type.dtype).min;
    forEachInWindow(win, at, (k) => {
      if (x[k]! > best) best = x[k]!;
    });
    return best;
  },
  {},
);

/** Rounded mean: divRound(sum, count), count = in-bounds positions, or the kernel size if count_include_pad. */
export const AveragePool = windowedPool(
  'AveragePool',
  31,
  (x, win, at, _type, attrs) => {
    let sum = 0;
    let count = 0;
    forEachInWindow(win, at, (k) => {
      sum += x[k]!;
      count++;
    });
    if (intAttr(attrs, 'count_include_pad') === 1) count = win.kernel[0] * win.kernel[1];
    return divRound(sum, count);
  },
  { count_include_pad: { kind: 'int', default: 0 } },
);

export const GlobalAveragePool: OpDefinition = {
  name: 'GlobalAveragePool',
  code: 32,
  minInputs: 1,
  maxInputs: 1,
  attrs: {},
  inferShape(inTypes) {
    const x = inTypes[0]!;
    if (x.shape.length !== 4) return `input must be NCHW (rank 4), got ${formatShape(x.shape)}`;
    return [x.shape[0]!, x.shape[1]!, 1, 1];
  },
  check: ({ inTypes, outType }) => {
    const problems = perTensorProblems([inTypes[0]!, outType], ['the input', 'the output']);
    return problems.length > 0
      ? problems
      : sameTypeProblems({ ...inTypes[0]!, shape: outType.shape }, outType);
  },
  elementWork: (inTypes) => inTypes[0]!.shape[2]! * inTypes[0]!.shape[3]!,
  tileGranule: () => 1,
  kernel({ inputs, inTypes }, out, start, end) {
    const x = inputs[0]!;
    const area = inTypes[0]!.shape[2]! * inTypes[0]!.shape[3]!;
    for (let p = start; p < end; p++) {
      let sum = 0;
      for (let k = p * area; k < (p + 1) * area; k++) sum += x[k]!;
      out[p] = divRound(sum, area);
    }
  },
};
