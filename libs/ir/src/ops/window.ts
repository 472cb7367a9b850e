import type { Attrs } from '../graph/types.js';
import { intsAttr } from './op.js';

/** Geometry of a 2-D sliding window (Conv and pools), ONNX conventions: pads = [top, left, bottom, right]. */
export interface Window2d {
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  readonly dilations: readonly [number, number];
}

export function windowOf(attrs: Attrs, kernel: readonly number[]): Window2d {
  const strides = intsAttr(attrs, 'strides');
  const pads = intsAttr(attrs, 'pads');
  const dilations = 'dilations' in attrs ? intsAttr(attrs, 'dilations') : [1, 1];
  return {
    kernel: [kernel[0]!, kernel[1]!],
    strides: [strides[0]!, strides[1]!],
    pads: [pads[0]!, pads[1]!, pads[2]!, pads[3]!],
    dilations: [dilations[0]!, dilations[1]!],
  };
}

/** Output spatial size, or a message when the window does not fit. */
export function windowOutput(h: number, w: number, win: Window2d): [number, number] | string {
  const problems: string[] = [];
  for (const [label, values, min] of [
    ['kernel', win.kernel, 1],
    ['strides', win.strides, 1],
    ['dilations', win.dilations, 1],
    ['pads', win.pads, 0],
  ] as const) {
    if (values.some((v) => !Number.isInteger(v) || v < min))
      problems.push(`${label} must be integers >= ${min}`);
  }
  if (problems.length > 0) return problems.join('; ');
  const spanH = win.dilations[0] * (win.kernel[0] - 1) + 1;
  const spanW = win.dilations[1] * (win.kernel[1] - 1) + 1;
  const ho = Math.floor((h + win.pads[0] + win.pads[2] - spanH) / win.strides[0]) + 1;
  const wo = Math.floor((w + win.pads[1] + win.pads[3] - spanW) / win.strides[1]) + 1;
  if (ho < 1 || wo < 1) return `window ${win.kernel.join('x')} does not fit the padded input ${h}x${w}`;
  return [ho, wo];
}

export const windowAttrs = {
  strides: { kind: 'ints', default: [1, 1] },
  pads: { kind: 'ints', default: [0, 0, 0, 0] },
} as const;
