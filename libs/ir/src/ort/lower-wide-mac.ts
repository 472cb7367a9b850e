import type { TensorType } from '../graph/types.js';
import { sizeOf } from '../tensor.js';
import type { OnnxGraphWriter } from './onnx-graph.js';

/** float32 holds every integer below this exactly; sums that stay below it never round. */
const FLOAT32_EXACT = 2 ** 24;
/** More chunks than this per edge: the edge runs on the reference kernel instead. */
const MAX_CHUNKS = 32;

/** A MatMul or Conv with i16 parameter weights, as the wide lowering needs it. */
export interface WideMac {
  readonly op: 'MatMul' | 'Conv';
  readonly x: TensorType;
  /** Weights in IR layout: MatMul [N, K], Conv [O, C/group, kh, kw]. */
  readonly weights: Int32Array;
  readonly shape: readonly number[];
  /** Conv's attributes as onnxruntime takes them (empty for MatMul). */
  readonly geometry: Readonly<Record<string, number | readonly number[]>>;
}

/** w = 256·high + low with low in [−128, 127] (high in [−128, 128] for i16 weights). */
export function weightBytes(weights: Int32Array): { high: Float32Array; low: Float32Array } {
  const high = new Float32Array(weights.length);
  const low = new Float32Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    high[i] = Math.floor((weights[i]! + 128) / 256);
    low[i] = weights[i]! - 256 * high[i]!;
  }
  return { high, low };
}

/** Largest magnitude of one part of the input: an i8 whole, or an i16's high (≤ 128) or low (≤ 255) byte. */
export const inputPartMax = (x: TensorType) => (x.dtype === 'i8' ? 128 : 256);

/**
 * The reduction's units (`unit` consecutive values of each output channel's row of
 * `magnitudes`, [channels, reduction]) cut greedily into chunks [start, end) in which every
 * output channel's Σ magnitude stays below `limit`; undefined when one unit alone reaches it.
 */
export function reductionChunks(
  magnitudes: ArrayLike<number>,
  channels: number,
  unit: number,
  limit: number,
): [number, number][] | undefined {
  const reduction = magnitudes.length / channels;
  const units = reduction / unit;
  const sums = new Float64Array(channels);
  const chunks: [number, number][] = [];
  let start = 0;
  for (let u = 0; u < units; u++) {
    const add = Float64Array.from({ length: channels }, (_, c) => {
      let s = 0;
      for (let k = c * reduction + u * unit; k < c * reduction + (u + 1) * unit; k++) s += magnitudes[k]!;
      return s;
    });
    if (add.some((s) => s >= limit)) return undefined;
    if (add.some((s, c) => sums[c]! + s >= limit)) {
      chunks.push([start, u]);
      start = u;
      sums.fill(0);
    }
    for (let c = 0; c < channels; c++) sums[c] = sums[c]! + add[c]!;
  }
  chunks.push([start, units]);
  return chunks;
}

/**
 * The reduction's units (MatMul: one k; Conv: one input channel of every kernel position), cut
 * greedily into chunks [start, end) in which every output channel's Σ max(|high|, |low|) times the
 * input part's largest magnitude stays below 2^24. Undefined when the edge has no exact lowering:
 * i32 input, a grouped Conv that needs more than one chunk, or more than MAX_CHUNKS chunks.
 */
export function wideMacChunks(m: WideMac): [number, number][] | undefined {
  if (m.x.dtype === 'i32') return undefined;
  const { high, low } = weightBytes(m.weights);
  const magnitudes = high.map((h, k) => Math.max(Math.abs(h), Math.abs(low[k]!)));
  const unit = m.op === 'Conv' ? m.shape[2]! * m.shape[3]! : 1;
  const chunks = reductionChunks(magnitudes, m.shape[0]!, unit, FLOAT32_EXACT / inputPartMax(m.x));
  const grouped = m.op === 'Conv' && m.geometry.group !== 1;
  return !chunks || (grouped && chunks.length > 1) || chunks.length > MAX_CHUNKS ? undefined : chunks;
}

/** The weights of reduction units [start, end) of every output channel, in IR layout order. */
function chunkWeights(values: Float32Array, m: WideMac, start: number, end: number): number[] {
  const channels = m.shape[0]!;
  const reduction = values.length / channels;
  const unit = m.op === 'Conv' ? m.shape[2]! * m.shape[3]! : 1;
  const out: number[] = [];
  for (let c = 0; c < channels; c++)
    for (let k = c * reduction + start * unit; k < c * reduction + end * unit; k++) out.push(values[k]!);
  return out;
}

/**
 * Σ x·w of an i16-weight MatMul/Conv as an exact double accumulator (no bias). x (float32
 * carrier) splits as 256·hi + lo when i16; w as 256·high + low (`weightBytes`); each of the up to
 * four byte products runs on a float32 kernel per chunk (`wideMacChunks`), exact because every
 * partial sum is an integer below 2^24, and the parts are scaled by 2^16, 2^8 or 1 and summed in
 * double, exact below 2^53 (the accumulator bound keeps the total below 2^47).
 */
export function lowerWideMac(
  w: OnnxGraphWriter,
  m: WideMac,
  input: string,
  chunks: [number, number][],
): string {
  const channels = m.shape[0]!;
  const { high, low } = weightBytes(m.weights);
  const axis = m.op === 'Conv' ? 1 : -1;
  const terms: string[] = [];
  for (const [start, end] of chunks) {
    const slice =
      chunks.length === 1
        ? input
        : w.node('Slice', [
            input,
            w.constant('int64', [1], [start]),
            w.constant('int64', [1], [end]),
            w.constant('int64', [1], [axis]),
          ]);
    const xParts: [string, number][] = [[slice, 1]];
    if (m.x.dtype === 'i16') {
      const byte = w.constant('float', [], [256]);
      const hi = w.node('Floor', [w.node('Div', [slice, byte])]);
      xParts.splice(0, 1, [hi, 256], [w.node('Sub', [slice, w.node('Mul', [hi, byte])]), 1]);
    }
    for (const [part, wScale] of [
      [high, 256],
      [low, 1],
    ] as const) {
      const values = chunkWeights(part, m, start, end);
      if (values.every((v) => v === 0)) continue;
      for (const [xPart, xScale] of xParts) {
        const product =
          m.op === 'Conv'
            ? w.node(
                'Conv',
                [xPart, w.constant('float', [channels, end - start, m.shape[2]!, m.shape[3]!], values)],
                m.geometry,
              )
            : w.node('MatMul', [
                xPart,
                w.constant('float', [end - start, channels], transposed(values, channels)),
              ]);
        const asDouble = w.cast(product, 'double');
        const scale = wScale * xScale;
        terms.push(scale === 1 ? asDouble : w.node('Mul', [asDouble, w.constant('double', [], [scale])]));
      }
    }
  }
  if (terms.length === 0) {
    // All-zero weights: a zero accumulator of the product's shape.
    const product =
      m.op === 'Conv'
        ? w.node('Conv', [input, w.constant('float', m.shape, new Float32Array(sizeOf(m.shape)))], m.geometry)
        : w.node('MatMul', [
            input,
            w.constant('float', [sizeOf(m.shape) / channels, channels], new Float32Array(sizeOf(m.shape))),
          ]);
    return w.cast(product, 'double');
  }
  return terms.length === 1 ? terms[0]! : w.node('Sum', terms);
}

/** [N, K] in IR layout to onnxruntime's [K, N]. */
function transposed(values: readonly number[], rows: number): number[] {
  const cols = values.length / rows;
  return Array.from({ length: values.length }, (_, i) => values[(i % rows) * cols + Math.floor(i / rows)]!);
}
