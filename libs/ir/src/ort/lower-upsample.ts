import { dtypeInfo } from '../dtype.js';
import { edgeInputsOf, edgeOutputsOf, type Hypergraph } from '../graph/types.js';
import { intsAttr } from '../ops/op.js';
import { carrierOf } from './carrier.js';
import {
  accumulateOutput,
  channelShifts,
  type EdgeLowering,
  inputChannels,
  requantize,
} from './lower-edge.js';
import type { OnnxGraphWriter } from './onnx-graph.js';

/** The ops this file lowers (a DB text detector's upsampling). */
export const UPSAMPLE_OPS = new Set(['Resize', 'ConvTranspose', 'ConvTransposeAccumulate']);

const FLOAT32_EXACT = 2 ** 24;

/**
 * Largest Σ|w| over one output channel's weights times `maxX`: every partial sum of that
 * channel's accumulation (any order, any subset of taps) is below it.
 */
function largestChannelBound(weights: Int32Array, channels: number, maxX: number): number {
  const per = weights.length / channels;
  let largest = 0;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let k = c * per; k < (c + 1) * per; k++) sum += Math.abs(weights[k]!);
    largest = Math.max(largest, sum * maxX);
  }
  return largest;
}

/**
 * Why a ConvTranspose (or a link of one, ConvTransposeAccumulate) has no exact onnxruntime
 * lowering: its weights must be parameters, and float32 must sum every product exactly (i8
 * inputs: Σ|w|·128 < 2^24; i16 inputs split in two bytes, each half's sum below 2^24).
 */
export function upsampleFallbackReason(graph: Hypergraph, edge: number): string | undefined {
  const op = graph.edgeOps[edge]!;
  if (op === 'Resize') return undefined;
  const [x, wt] = [...edgeInputsOf(graph, edge)];
  const weights = graph.params.get(wt!);
  if (!weights) return `${op} needs parameter weights`;
  const xType = graph.nodeTypes[x!]!;
  const maxX = xType.dtype === 'i16' ? 256 : -dtypeInfo(xType.dtype).min;
  if (
    xType.dtype === 'i32' ||
    largestChannelBound(weights, graph.nodeTypes[wt!]!.shape[0]!, maxX) >= FLOAT32_EXACT
  )
    return `${op} sums would not be exact in float32`;
  return undefined;
}

/** IR weights [O, C, kh, kw] in ONNX ConvTranspose's layout [C, O, kh, kw]. */
function onnxLayout(weights: Int32Array, shape: readonly number[]): number[] {
  const [o, c, kh, kw] = shape as [number, number, number, number];
  const k = kh * kw;
  return Array.from({ length: weights.length }, (_, i) => {
    const [ci, oc, t] = [Math.floor(i / (o * k)), Math.floor(i / k) % o, i % k];
    return weights[(oc * c + ci) * k + t]!;
  });
}

/**
 * Resize: onnxruntime's own nearest Resize (asymmetric, floor) copies values, exact on any
 * carrier. ConvTranspose: onnxruntime's float32 ConvTranspose, exact by `upsampleFallbackReason`,
 * the bias added and the sum requantized in double; an i16 input as 256·hi + lo, two products.
 * ConvTransposeAccumulate: the same sum over the link's channels, then `accumulateOutput`.
 */
export function lowerUpsample(
  w: OnnxGraphWriter,
  graph: Hypergraph,
  edge: number,
  value: (node: number) => string,
): EdgeLowering {
  const ins = [...edgeInputsOf(graph, edge)];
  const attrs = graph.edgeAttrs[edge]!;
  const out = graph.nodeTypes[edgeOutputsOf(graph, edge)[0]!]!;
  if (graph.edgeOps[edge] === 'Resize') {
    const [sh, sw] = intsAttr(attrs, 'scales');
    const scales = w.constant('float', [4], [1, 1, sh!, sw!]);
    return {
      output: w.node('Resize', [value(ins[0]!), '', scales], {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      }),
    };
  }
  const [xType, wType] = [graph.nodeTypes[ins[0]!]!, graph.nodeTypes[ins[1]!]!];
  const [o, c, kh, kw] = wType.shape as [number, number, number, number];
  const kernel = w.constant('float', [c, o, kh, kw], onnxLayout(graph.params.get(ins[1]!)!, wType.shape));
  const geometry = {
    strides: intsAttr(attrs, 'strides'),
    pads: intsAttr(attrs, 'pads'),
    kernel_shape: [kh, kw],
  };
  const mac = (x: string) => w.cast(w.node('ConvTranspose', [x, kernel], geometry), 'double');
  const link = graph.edgeOps[edge] === 'ConvTransposeAccumulate';
  const input = link ? inputChannels(w, value(ins[0]!), xType, attrs.start as number, c) : value(ins[0]!);
  let acc: string;
  if (xType.dtype === 'i16') {
    const byte = w.constant('float', [], [256]);
    const hi = w.node('Floor', [w.node('Div', [input, byte])]);
    const lo = w.node('Sub', [input, w.node('Mul', [hi, byte])]);
    acc = w.node('Add', [w.node('Mul', [mac(hi), w.constant('double', [], [256])]), mac(lo)]);
  } else {
    acc = mac(input);
  }
  if (link) {
    const a = { previous: ins[2], weightType: wType, out, requantize: attrs.requantize === 1, xType };
    return { output: accumulateOutput(w, graph, value, acc, a) };
  }
  if (ins[2] !== undefined) {
    const bias =
      carrierOf(graph.nodeTypes[ins[2]]!.dtype) === 'double'
        ? value(ins[2])
        : w.cast(value(ins[2]), 'double');
    acc = w.node('Add', [acc, w.node('Reshape', [bias, w.constant('int64', [3], [o, 1, 1])])]);
  }
  return { output: requantize(w, acc, channelShifts(xType, wType, out), [o, 1, 1], out) };
}
