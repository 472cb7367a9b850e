import { IrError } from '../errors.js';
import { sameShape } from '../tensor.js';
import {
  type Adjacency,
  edgeInputsOf,
  formatType,
  type Hypergraph,
  producers,
  type TensorType,
} from './types.js';
import { validateGraph } from './validate.js';

function remapAdjacency(adjacency: Adjacency, edges: readonly number[], map: Int32Array): Adjacency {
  const offsets = new Uint32Array(edges.length + 1);
  edges.forEach((e, i) => {
    offsets[i + 1] = offsets[i]! + adjacency.offsets[e + 1]! - adjacency.offsets[e]!;
  });
  const targets = new Uint32Array(offsets[edges.length]!);
  edges.forEach((e, i) => {
    for (let k = adjacency.offsets[e]!; k < adjacency.offsets[e + 1]!; k++) {
      targets[offsets[i]! + k - adjacency.offsets[e]!] = map[adjacency.targets[k]!]!;
    }
  });
  return { offsets, targets };
}

/**
 * The open subgraph made of `edges`: its inputs are the wires those edges read but do not
 * produce (parameters come along as parameters), its outputs the wires they produce that
 * are read elsewhere or were outputs of `graph`. Node and edge order are preserved.
 */
export function extractSubgraph(graph: Hypergraph, edges: Iterable<number>): Hypergraph {
  const chosen = [...new Set(edges)].sort((a, b) => a - b);
  const inside = new Uint8Array(graph.edgeOps.length);
  for (const e of chosen) {
    if (e >= graph.edgeOps.length) throw new IrError('GRAPH_INVALID', `edge ${e} does not exist`);
    inside[e] = 1;
  }
  const producer = producers(graph);
  const used = new Uint8Array(graph.nodeTypes.length);
  const readOutside = new Uint8Array(graph.nodeTypes.length);
  for (let e = 0; e < graph.edgeOps.length; e++) {
    for (const n of edgeInputsOf(graph, e)) {
      if (inside[e]) used[n] = 1;
      else readOutside[n] = 1;
    }
  }
  for (const e of chosen)
    for (const n of graph.edgeOutputs.targets.subarray(
      graph.edgeOutputs.offsets[e]!,
      graph.edgeOutputs.offsets[e + 1]!,
    ))
      used[n] = 1;
  graph.outputs.forEach((n) => {
    readOutside[n] = 1;
  });

  const map = new Int32Array(graph.nodeTypes.length).fill(-1);
  const kept: number[] = [];
  for (let n = 0; n < graph.nodeTypes.length; n++) {
    if (used[n]) {
      map[n] = kept.length;
      kept.push(n);
    }
  }
  const producedInside = (n: number) => producer[n]! >= 0 && inside[producer[n]!] === 1;
  const inputs = kept.filter((n) => !producedInside(n) && !graph.params.has(n));
  const outputs = kept.filter((n) => producedInside(n) && readOutside[n]);
  const params = new Map<number, Int32Array>();
  for (const n of kept) {
    const data = graph.params.get(n);
    if (data) params.set(map[n]!, data);
  }
  const sub: Hypergraph = {
    nodeTypes: kept.map((n) => graph.nodeTypes[n]!),
    nodeNames: kept.map((n) => graph.nodeNames[n]!),
    edgeOps: chosen.map((e) => graph.edgeOps[e]!),
    edgeAttrs: chosen.map((e) => graph.edgeAttrs[e]!),
    edgeNames: chosen.map((e) => graph.edgeNames[e]!),
    edgeInputs: remapAdjacency(graph.edgeInputs, chosen, map),
    edgeOutputs: remapAdjacency(graph.edgeOutputs, chosen, map),
    inputs: Uint32Array.from(inputs, (n) => map[n]!),
    outputs: Uint32Array.from(outputs, (n) => map[n]!),
    params,
  };
  validateGraph(sub);
  return sub;
}

function sameType(a: TensorType, b: TensorType): boolean {
  return (
    a.dtype === b.dtype && sameShape(a.shape, b.shape) && JSON.stringify(a.frac) === JSON.stringify(b.frac)
  );
}

/** Disjoint union of the two graphs' parts, with g's nodes first and h's nodes renumbered. */
function union(g: Hypergraph, h: Hypergraph, hNodeMap: Int32Array, hNewNodes: readonly number[]) {
  const allEdges = (x: Hypergraph) => Array.from({ length: x.edgeOps.length }, (_, e) => e);
  const identity = Int32Array.from({ length: g.nodeTypes.length }, (_, i) => i);
  const gIn = remapAdjacency(g.edgeInputs, allEdges(g), identity);
  const gOut = remapAdjacency(g.edgeOutputs, allEdges(g), identity);
  const hIn = remapAdjacency(h.edgeInputs, allEdges(h), hNodeMap);
  const hOut = remapAdjacency(h.edgeOutputs, allEdges(h), hNodeMap);
  const join = (a: Adjacency, b: Adjacency): Adjacency => {
    const offsets = new Uint32Array(a.offsets.length + b.offsets.length - 1);
    offsets.set(a.offsets);
    const base = a.targets.length;
    for (let i = 1; i < b.offsets.length; i++) offsets[a.offsets.length - 1 + i] = base + b.offsets[i]!;
    const targets = new Uint32Array(a.targets.length + b.targets.length);
    targets.set(a.targets);
    targets.set(b.targets, base);
    return { offsets, targets };
  };
  const params = new Map(g.params);
  for (const [n, data] of h.params) params.set(hNodeMap[n]!, data);
  return {
    nodeTypes: [...g.nodeTypes, ...hNewNodes.map((n) => h.nodeTypes[n]!)],
    nodeNames: [...g.nodeNames, ...hNewNodes.map((n) => h.nodeNames[n]!)],
    edgeOps: [...g.edgeOps, ...h.edgeOps],
    edgeAttrs: [...g.edgeAttrs, ...h.edgeAttrs],
    edgeNames: [...g.edgeNames, ...h.edgeNames],
    edgeInputs: join(gIn, hIn),
    edgeOutputs: join(gOut, hOut),
    params,
  };
}

/** g ; h — h's inputs are glued to g's outputs, which must match them in number and type. */
export function composeSequential(g: Hypergraph, h: Hypergraph): Hypergraph {
  if (g.outputs.length !== h.inputs.length) {
    throw new IrError(
      'TYPE_MISMATCH',
      `cannot compose: ${g.outputs.length} outputs feed ${h.inputs.length} inputs`,
    );
  }
  const map = new Int32Array(h.nodeTypes.length).fill(-1);
  h.inputs.forEach((n, i) => {
    const gOut = g.outputs[i]!;
    if (!sameType(g.nodeTypes[gOut]!, h.nodeTypes[n]!)) {
      throw new IrError(
        'TYPE_MISMATCH',
        `cannot compose: output ${i} is ${formatType(g.nodeTypes[gOut]!)} but input ${i} is ${formatType(h.nodeTypes[n]!)}`,
      );
    }
    map[n] = gOut;
  });
  const fresh: number[] = [];
  for (let n = 0; n < h.nodeTypes.length; n++) {
    if (map[n] === -1) {
      map[n] = g.nodeTypes.length + fresh.length;
      fresh.push(n);
    }
  }
  const graph: Hypergraph = {
    ...union(g, h, map, fresh),
    inputs: Uint32Array.from(g.inputs),
    outputs: Uint32Array.from(h.outputs, (n) => map[n]!),
  };
  validateGraph(graph);
  return graph;
}

/** g ⊗ h — side by side: inputs and outputs are g's followed by h's. */
export function composeParallel(g: Hypergraph, h: Hypergraph): Hypergraph {
  const map = Int32Array.from({ length: h.nodeTypes.length }, (_, n) => g.nodeTypes.length + n);
  const all = Array.from({ length: h.nodeTypes.length }, (_, n) => n);
  const graph: Hypergraph = {
    ...union(g, h, map, all),
    inputs: Uint32Array.from([...g.inputs, ...Array.from(h.inputs, (n) => map[n]!)]),
    outputs: Uint32Array.from([...g.outputs, ...Array.from(h.outputs, (n) => map[n]!)]),
  };
  validateGraph(graph);
  return graph;
}
