import type { DType } from '../dtype.js';

/** Per-channel fractional bits along one axis (used by weights). */
export interface ChannelFracs {
  readonly axis: number;
  readonly fracs: readonly number[];
}

/**
 * The type of a wire: a tensor of integers whose real value is q · 2^-frac. A per-tensor scale
 * is a single number; weights may carry one frac per channel along an axis.
 */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly frac: number | ChannelFracs;
}

/** Integer-valued op attributes. Every op declares its keys; stored attrs always hold all of them. */
export type AttrValue = number | readonly number[];
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Compressed adjacency: the ids of edge e are targets[offsets[e] .. offsets[e+1]). */
export interface Adjacency {
  readonly offsets: Uint32Array;
  readonly targets: Uint32Array;
}

/**
 * An open hypergraph stored as flat arrays: nodes are wires (tensors), edges are operations
 * with ordered input and output nodes; `inputs`/`outputs` are the boundary; parameters are
 * nodes bound to constant tensors.
 */
export interface Hypergraph {
  readonly nodeTypes: readonly TensorType[];
  readonly nodeNames: readonly string[];
  readonly edgeOps: readonly string[];
  readonly edgeAttrs: readonly Attrs[];
  readonly edgeNames: readonly string[];
  readonly edgeInputs: Adjacency;
  readonly edgeOutputs: Adjacency;
  readonly inputs: Uint32Array;
  readonly outputs: Uint32Array;
  /** Parameter node id → its values; ordered by node id. */
  readonly params: ReadonlyMap<number, Int32Array>;
}

export function edgeCount(graph: Hypergraph): number {
  return graph.edgeOps.length;
}

export function nodeCount(graph: Hypergraph): number {
  return graph.nodeTypes.length;
}

export function adjacencyOf(adjacency: Adjacency, edge: number): Uint32Array {
  return adjacency.targets.subarray(adjacency.offsets[edge]!, adjacency.offsets[edge + 1]!);
}

export function edgeInputsOf(graph: Hypergraph, edge: number): Uint32Array {
  return adjacencyOf(graph.edgeInputs, edge);
}

export function edgeOutputsOf(graph: Hypergraph, edge: number): Uint32Array {
  return adjacencyOf(graph.edgeOutputs, edge);
}

export function buildAdjacency(lists: readonly (readonly number[])[]): Adjacency {
  const offsets = new Uint32Array(lists.length + 1);
  for (let i = 0; i < lists.length; i++) offsets[i + 1] = offsets[i]! + lists[i]!.length;
  const targets = new Uint32Array(offsets[lists.length]!);
  lists.forEach((list, i) => {
    targets.set(list, offsets[i]!);
  });
  return { offsets, targets };
}

/** For each node, the edge producing it, or -1 for boundary inputs, parameters and dangling nodes. */
export function producers(graph: Hypergraph): Int32Array {
  const producer = new Int32Array(graph.nodeTypes.length).fill(-1);
  for (let e = 0; e < graph.edgeOps.length; e++) {
    for (const n of edgeOutputsOf(graph, e)) producer[n] = e;
  }
  return producer;
}

export function frac(type: TensorType): number {
  if (typeof type.frac !== 'number')
    throw new Error('per-channel scale where a per-tensor scale is required');
  return type.frac;
}

export function isPerTensor(type: TensorType): type is TensorType & { frac: number } {
  return typeof type.frac === 'number';
}

/** Fractional bits of channel `c` (per-tensor scales give the same value for every channel). */
export function channelFrac(type: TensorType, c: number): number {
  return typeof type.frac === 'number' ? type.frac : type.frac.fracs[c]!;
}

export function formatType(type: TensorType): string {
  const scale =
    typeof type.frac === 'number'
      ? `frac ${type.frac}`
      : `fracs[axis ${type.frac.axis}]=${type.frac.fracs.join(',')}`;
  return `${type.dtype}[${type.shape.join(',')}] ${scale}`;
}
