import { dtypeInfo } from './dtype.js';
import { IrError } from './errors.js';
import type { Tile } from './graph/tiles.js';
import { edgeInputsOf, edgeOutputsOf, formatType, type Hypergraph } from './graph/types.js';
import type { Model } from './model.js';
import { findOp } from './ops/registry.js';
import { formatShape, type IntTensor, sameShape, sizeOf } from './tensor.js';

export interface RunOptions {
  /** Keep every wire's value (for traces and debugging); otherwise only outputs are returned. */
  readonly keepIntermediates?: boolean;
  /** Called after each step with the step index and edge, e.g. to hash outputs as they appear. */
  readonly onStep?: (step: number, edge: number, outputs: readonly Int32Array[]) => void;
}

export interface RunResult {
  readonly outputs: IntTensor[];
  /** Every node's value by node id, present when keepIntermediates was set. */
  readonly values?: readonly (Int32Array | undefined)[];
}

/** Index of the first value outside [min, max], or −1; a plain loop, as it runs on every request. */
function firstOutside(data: Int32Array, min: number, max: number): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min || v > max) return i;
  }
  return -1;
}

/** Checks caller-supplied inputs against the graph boundary; errors name the input. */
export function checkInputs(graph: Hypergraph, inputs: readonly IntTensor[]): void {
  if (inputs.length !== graph.inputs.length) {
    throw new IrError(
      'INPUT_INVALID',
      `the model takes ${graph.inputs.length} input(s), got ${inputs.length}`,
    );
  }
  inputs.forEach((tensor, i) => {
    const node = graph.inputs[i]!;
    const type = graph.nodeTypes[node]!;
    const label = `input ${i} '${graph.nodeNames[node]}'`;
    if (tensor.dtype !== type.dtype || !sameShape(tensor.shape, type.shape)) {
      throw new IrError(
        'INPUT_INVALID',
        `${label} must be ${formatType(type)}, got ${tensor.dtype}${formatShape(tensor.shape)}`,
      );
    }
    if (tensor.data.length !== sizeOf(type.shape)) {
      throw new IrError(
        'INPUT_INVALID',
        `${label} holds ${tensor.data.length} values, needs ${sizeOf(type.shape)}`,
      );
    }
    const { min, max } = dtypeInfo(type.dtype);
    const bad = firstOutside(tensor.data, min, max);
    if (bad >= 0)
      throw new IrError(
        'INPUT_INVALID',
        `${label} value ${tensor.data[bad]} at ${bad} is outside ${type.dtype}`,
      );
  });
}

/** Output values [tile.start, tile.end) of one edge, given its input values: a dispute's one step. */
export function executeTile(
  graph: Hypergraph,
  edge: number,
  inputs: readonly Int32Array[],
  tile: Tile,
): Int32Array {
  const out = executeEdge(graph, edge, inputs, tile.start, tile.end);
  return out.slice(tile.start, tile.end);
}

function executeEdge(
  graph: Hypergraph,
  edge: number,
  inputs: readonly Int32Array[],
  start: number,
  end?: number,
): Int32Array {
  const op = findOp(graph.edgeOps[edge]!)!;
  const inTypes = [...edgeInputsOf(graph, edge)].map((n) => graph.nodeTypes[n]!);
  const outType = graph.nodeTypes[edgeOutputsOf(graph, edge)[0]!]!;
  const out = new Int32Array(sizeOf(outType.shape));
  op.kernel({ inputs, inTypes, outType, attrs: graph.edgeAttrs[edge]! }, out, start, end ?? out.length);
  return out;
}

/**
 * The reference interpreter: the executable form of docs/semantics.md. It runs the edges in
 * schedule order over typed arrays; its results are the ones every backend must reproduce.
 */
export function run(model: Model, inputs: readonly IntTensor[], options: RunOptions = {}): RunResult {
  const { graph, schedule } = model;
  checkInputs(graph, inputs);
  const values: (Int32Array | undefined)[] = new Array(graph.nodeTypes.length);
  graph.inputs.forEach((n, i) => {
    values[n] = inputs[i]!.data;
  });
  for (const [n, data] of graph.params) values[n] = data;
  const remainingReads = options.keepIntermediates ? undefined : countReads(graph);
  schedule.forEach((edge, step) => {
    const ins = [...edgeInputsOf(graph, edge)];
    const out = executeEdge(
      graph,
      edge,
      ins.map((n) => values[n]!),
      0,
    );
    values[edgeOutputsOf(graph, edge)[0]!] = out;
    options.onStep?.(step, edge, [out]);
    if (remainingReads) {
      for (const n of ins) if (--remainingReads[n]! === 0 && !graph.params.has(n)) values[n] = undefined;
    }
  });
  const outputs = Array.from(graph.outputs, (n) => {
    const type = graph.nodeTypes[n]!;
    return { dtype: type.dtype, shape: [...type.shape], data: values[n]! };
  });
  return options.keepIntermediates ? { outputs, values } : { outputs };
}

/** Reads per node, counting graph outputs as a read that never happens, so they survive. */
function countReads(graph: Hypergraph): Int32Array {
  const reads = new Int32Array(graph.nodeTypes.length);
  for (let e = 0; e < graph.edgeOps.length; e++) for (const n of edgeInputsOf(graph, e)) reads[n]!++;
  graph.outputs.forEach((n) => {
    reads[n]!++;
  });
  return reads;
}

/**
 * Recomputes, in place, every step after `step` (−1: every step) from the values before it —
 * the steps downstream of a changed value, as a node that got that value wrong would compute
 * them. Weights come from the model where `values` has none.
 */
export function recomputeFrom(model: Model, values: (Int32Array | undefined)[], step: number): void {
  const { graph, schedule } = model;
  for (let s = step + 1; s < schedule.length; s++) {
    const edge = schedule[s]!;
    const inputs = [...edgeInputsOf(graph, edge)].map((n) => values[n] ?? graph.params.get(n)!);
    values[edgeOutputsOf(graph, edge)[0]!] = executeEdge(graph, edge, inputs, 0);
  }
}
