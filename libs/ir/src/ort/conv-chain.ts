import { dtypeInfo } from '../dtype.js';
import { edgeInputsOf, edgeOutputsOf, type Hypergraph, producers } from '../graph/types.js';
import { INTERMEDIATE_LIMIT } from '../ops/op.js';
import {
  type Accumulation,
  accumulateOutput,
  lowerAccumulation,
  lowerMac,
  macGeometry,
} from './lower-edge.js';
import { transposeChunks, transposeGeometry, transposeSum } from './lower-upsample.js';
import { wideMacChunks } from './lower-wide-mac.js';
import type { OnnxGraphWriter } from './onnx-graph.js';

/** The link ops a chain is made of: ConvAccumulate (58) and ConvTransposeAccumulate (59). */
const LINK_OPS = new Set(['ConvAccumulate', 'ConvTransposeAccumulate']);

/**
 * A chain of ConvAccumulate (ConvTransposeAccumulate) links — a group-1 Conv (a ConvTranspose)
 * the importer split over input channels, docs/semantics.md §9 — that the hot path lowers as one
 * sum over every input channel: `links` first to last, `lower` emitting the whole op (weights
 * reassembled in channel order, the first link's bias, the last link's requantization) and
 * returning the last link's output.
 */
export interface ConvChain {
  readonly links: readonly number[];
  readonly lower: (w: OnnxGraphWriter, value: (node: number) => string) => string;
}

/**
 * The chains among `edges` (one onnxruntime segment) that lower as one Conv (ConvTranspose),
 * keyed by their last link. A chain ends in a link with requantize = 1 and walks back through
 * previous-accumulator inputs of the same op; every intermediate limb tensor must be produced in
 * the segment, read by the next link only, and not exposed (a trace needs every link, so the
 * traced backend never fuses).
 * The fused sum is the chain's, integer for integer, when no link's high limb saturates: every
 * partial sum is a sub-sum of Σ|w|·max|x| + |bias| over the whole chain, so that bound must stay
 * below 2^47 (the limbs then hold it exactly, and the double accumulation is exact). The links'
 * weight fracs need not agree: limbs carry no scale, and only the last link's fracs requantize.
 * Chains that do not qualify (links reading different inputs or windows, channels not covered
 * exactly once, the bound, or no exact float32 chunking of the whole op) lower link by link.
 */
export function convChains(
  graph: Hypergraph,
  edges: readonly number[],
  isExposed: (node: number) => boolean,
): Map<number, ConvChain> {
  const chains = new Map<number, ConvChain>();
  if (!edges.some((e) => LINK_OPS.has(graph.edgeOps[e]!))) return chains;
  const inSegment = new Set(edges);
  const producer = producers(graph);
  const readers = new Uint32Array(graph.nodeTypes.length);
  for (let e = 0; e < graph.edgeOps.length; e++) for (const n of edgeInputsOf(graph, e)) readers[n]!++;
  const linkBefore = (edge: number): number | undefined => {
    const previous = edgeInputsOf(graph, edge)[2];
    if (previous === undefined || graph.nodeTypes[previous]!.shape.length !== 5) return undefined;
    const e = producer[previous]!;
    const fusable =
      e >= 0 &&
      inSegment.has(e) &&
      graph.edgeOps[e] === graph.edgeOps[edge] &&
      readers[previous] === 1 &&
      !isExposed(previous);
    return fusable ? e : -1;
  };
  for (const last of edges) {
    if (!LINK_OPS.has(graph.edgeOps[last]!) || graph.edgeAttrs[last]!.requantize !== 1) continue;
    const links = [last];
    for (let e = linkBefore(last); e !== undefined; e = linkBefore(e)) {
      if (e < 0) {
        links.length = 0;
        break;
      }
      links.unshift(e);
    }
    const lower = links.length > 1 ? wholeOp(graph, links) : undefined;
    if (lower) chains.set(last, { links, lower });
  }
  return chains;
}

/** A link's window: Conv's attributes, or ConvTranspose's, as onnxruntime takes them. */
const linkGeometry = (graph: Hypergraph, link: number) =>
  graph.edgeOps[link] === 'ConvTransposeAccumulate'
    ? transposeGeometry(graph, link)
    : macGeometry(graph, link);

/** The chain as one Conv (ConvTranspose) over every input channel, if it qualifies (see `convChains`). */
function wholeOp(graph: Hypergraph, links: readonly number[]): ConvChain['lower'] | undefined {
  const first = [...edgeInputsOf(graph, links[0]!)];
  const last = links.at(-1)!;
  const x = first[0]!;
  const xType = graph.nodeTypes[x]!;
  const channels = xType.shape[1]!;
  const lastWeights = graph.nodeTypes[edgeInputsOf(graph, last)[1]!]!;
  const [o, , kh, kw] = lastWeights.shape as [number, number, number, number];
  const taps = kh * kw;
  const geometry = linkGeometry(graph, last);
  const window = JSON.stringify(geometry);
  const weights = new Int32Array(o * channels * taps);
  const covered = new Uint8Array(channels);
  for (const link of links) {
    const ins = edgeInputsOf(graph, link);
    const data = graph.params.get(ins[1]!);
    const shape = graph.nodeTypes[ins[1]!]!.shape;
    const start = graph.edgeAttrs[link]!.start as number;
    const c = shape[1]!;
    if (ins[0] !== x || !data || shape[0] !== o || JSON.stringify(linkGeometry(graph, link)) !== window)
      return undefined;
    for (let ci = start; ci < start + c; ci++) {
      if (covered[ci]) return undefined;
      covered[ci] = 1;
    }
    for (let oc = 0; oc < o; oc++)
      weights.set(data.subarray(oc * c * taps, (oc + 1) * c * taps), (oc * channels + start) * taps);
  }
  if (covered.includes(0)) return undefined;
  const bias = first[2];
  const biasData = bias === undefined ? undefined : graph.params.get(bias);
  const maxX = -dtypeInfo(xType.dtype).min;
  const reduction = channels * taps;
  for (let oc = 0; oc < o; oc++) {
    let sum = 0;
    for (let k = oc * reduction; k < (oc + 1) * reduction; k++) sum += Math.abs(weights[k]!);
    const constant = bias === undefined ? 0 : biasData ? Math.abs(biasData[oc]!) : 2 ** 31;
    if (sum * maxX + constant >= INTERMEDIATE_LIMIT) return undefined;
  }
  const shape = [o, channels, kh, kw];
  const out = graph.nodeTypes[edgeOutputsOf(graph, last)[0]!]!;
  if (graph.edgeOps[last] === 'ConvTransposeAccumulate') {
    const chunks = transposeChunks(weights, shape, xType);
    if (!chunks) return undefined;
    const tail = { previous: bias, weightType: lastWeights, out, requantize: true, xType };
    return (w, value) =>
      accumulateOutput(
        w,
        graph,
        value,
        transposeSum(w, value(x), xType, weights, shape, geometry, chunks),
        tail,
      );
  }
  if (lastWeights.dtype !== 'i16') {
    // Narrow weights: the whole Conv lowers as any Conv does (scaled float32 or ConvInteger with
    // its requantization folded in), not through the limbs' wide path.
    const operands = {
      op: 'Conv' as const,
      x,
      weightType: { ...lastWeights, shape },
      weights,
      bias,
      out,
      geometry,
    };
    return (w, value) => {
      const lowered = lowerMac(w, graph, operands, value, false);
      if (!('output' in lowered))
        throw new Error(`${graph.edgeNames[last]}: a fused chain must lower to an output`);
      return lowered.output;
    };
  }
  const mac = { op: 'Conv' as const, x: xType, weights, shape, geometry };
  const chunks = wideMacChunks(mac);
  if (!chunks) return undefined;
  const accumulation: Accumulation = {
    mac,
    chunks,
    x,
    start: 0,
    previous: bias,
    weightType: lastWeights,
    out,
    requantize: true,
  };
  return (w, value) => lowerAccumulation(w, graph, value, accumulation);
}
