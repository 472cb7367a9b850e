import { edgeInputsOf, edgeOutputsOf, type Hypergraph, type TensorType } from '../graph/types.js';
import { inputChannelWeights } from '../ops/conv-accumulate.js';
import { intsAttr } from '../ops/op.js';
import { carrierOf } from './carrier.js';
import {
  accumulateOutput,
  channelShifts,
  type EdgeLowering,
  inputChannels,
  requantize,
} from './lower-edge.js';
import { inputPartMax, reductionChunks } from './lower-wide-mac.js';
import type { OnnxGraphWriter } from './onnx-graph.js';

/** The ops this file lowers (a DB text detector's upsampling). */
export const UPSAMPLE_OPS = new Set(['Resize', 'ConvTranspose', 'ConvTransposeAccumulate']);

const FLOAT32_EXACT = 2 ** 24;

/**
 * A ConvTranspose's input channels (IR weights [O, C, kh, kw]) cut greedily into chunks
 * [start, end) that onnxruntime's float32 ConvTranspose sums exactly: every output channel's
 * Σ|w| over the chunk times the input part's largest magnitude (i8: 128; i16 split in two
 * bytes: 256) below 2^24, so no partial sum rounds. Undefined for i32 inputs or a channel that
 * alone is too large.
 */
export function transposeChunks(
  weights: Int32Array,
  shape: readonly number[],
  x: TensorType,
): [number, number][] | undefined {
  if (x.dtype === 'i32') return undefined;
  const magnitudes = weights.map(Math.abs);
  return reductionChunks(magnitudes, shape[0]!, shape[2]! * shape[3]!, FLOAT32_EXACT / inputPartMax(x));
}

/**
 * Why a ConvTranspose (or a link of one, ConvTransposeAccumulate) has no exact onnxruntime
 * lowering: its weights must be parameters, and one float32 ConvTranspose must sum every product
 * exactly (`transposeChunks` in one chunk).
 */
export function upsampleFallbackReason(graph: Hypergraph, edge: number): string | undefined {
  const op = graph.edgeOps[edge]!;
  if (op === 'Resize') return undefined;
  const [x, wt] = [...edgeInputsOf(graph, edge)];
  const weights = graph.params.get(wt!);
  if (!weights) return `${op} needs parameter weights`;
  if (transposeChunks(weights, graph.nodeTypes[wt!]!.shape, graph.nodeTypes[x!]!)?.length !== 1)
    return `${op} sums would not be exact in float32`;
  return undefined;
}

/** ConvTranspose's attributes as onnxruntime takes them. */
export function transposeGeometry(graph: Hypergraph, edge: number): Record<string, readonly number[]> {
  const attrs = graph.edgeAttrs[edge]!;
  return {
    strides: intsAttr(attrs, 'strides'),
    pads: intsAttr(attrs, 'pads'),
    kernel_shape: graph.nodeTypes[edgeInputsOf(graph, edge)[1]!]!.shape.slice(2),
  };
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
 * Σ x·w of a ConvTranspose as an exact double, `input` the carrier of the C input channels of
 * IR weights [O, C, kh, kw]: one float32 ConvTranspose per channel chunk (`transposeChunks`),
 * each exact, the chunks added in double (exact below 2^53; the accumulator bound keeps the
 * total below 2^47); an i16 input as 256·hi + lo, each byte its own products.
 */
export function transposeSum(
  w: OnnxGraphWriter,
  input: string,
  x: TensorType,
  weights: Int32Array,
  shape: readonly number[],
  geometry: Readonly<Record<string, number | readonly number[]>>,
  chunks: readonly [number, number][] = [[0, shape[1]!]],
): string {
  const [o, , kh, kw] = shape as [number, number, number, number];
  const kernels = chunks.map(([start, end]) => {
    const c = end - start;
    const values = onnxLayout(inputChannelWeights(weights, shape, start, c), [o, c, kh, kw]);
    return w.constant('float', [c, o, kh, kw], values);
  });
  const sum = (part: string) => {
    const terms = chunks.map(([start, end], k) => {
      const slice = chunks.length === 1 ? part : inputChannels(w, part, shape[1]!, start, end - start);
      return w.cast(w.node('ConvTranspose', [slice, kernels[k]!], geometry), 'double');
    });
    return terms.length === 1 ? terms[0]! : w.node('Sum', terms);
  };
  if (x.dtype !== 'i16') return sum(input);
  const byte = w.constant('float', [], [256]);
  const hi = w.node('Floor', [w.node('Div', [input, byte])]);
  const lo = w.node('Sub', [input, w.node('Mul', [hi, byte])]);
  return w.node('Add', [w.node('Mul', [sum(hi), w.constant('double', [], [256])]), sum(lo)]);
}

/**
 * Resize: onnxruntime's own nearest Resize (asymmetric, floor) copies values, exact on any
 * carrier. ConvTranspose: `transposeSum` in one chunk (exact by `upsampleFallbackReason`), the
 * bias added and the sum requantized in double.
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
  const [o, c] = wType.shape as [number, number];
  const link = graph.edgeOps[edge] === 'ConvTransposeAccumulate';
  const input = value(ins[0]!);
  const x = link ? inputChannels(w, input, xType.shape[1]!, attrs.start as number, c) : input;
  let acc = transposeSum(
    w,
    x,
    xType,
    graph.params.get(ins[1]!)!,
    wType.shape,
    transposeGeometry(graph, edge),
  );
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
