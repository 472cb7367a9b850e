import { dtypeInfo, isDType } from '../dtype.js';
import { IrError } from '../errors.js';
import { FRAC_LIMIT } from '../ops/op.js';
import { findOp } from '../ops/registry.js';
import { formatShape, sameShape, sizeOf } from '../tensor.js';
import { normalizeAttrs } from './attrs.js';
import { canonicalSchedule } from './schedule.js';
import { maxElementWork } from './tiles.js';
import { edgeInputsOf, edgeOutputsOf, formatType, type Hypergraph, type TensorType } from './types.js';

/** Problems with a tensor type on its own, or [] if it is well formed. */
export function tensorTypeProblems(type: TensorType): string[] {
  const problems: string[] = [];
  if (!isDType(type.dtype)) problems.push(`unknown dtype '${String(type.dtype)}'`);
  if (!Array.isArray(type.shape) || type.shape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    problems.push(`shape ${formatShape(type.shape ?? [])} must be positive integers`);
  }
  const fracOk = (f: number) => Number.isInteger(f) && Math.abs(f) <= FRAC_LIMIT;
  if (typeof type.frac === 'number') {
    if (!fracOk(type.frac)) problems.push(`frac ${type.frac} must be an integer within ±${FRAC_LIMIT}`);
  } else {
    const { axis, fracs } = type.frac;
    if (!Number.isInteger(axis) || axis < 0 || axis >= type.shape.length) {
      problems.push(`per-channel axis ${axis} is out of range for rank ${type.shape.length}`);
    } else if (fracs.length !== type.shape[axis]) {
      problems.push(
        `per-channel fracs has ${fracs.length} values for ${type.shape[axis]} channels on axis ${axis}`,
      );
    }
    if (!fracs.every(fracOk)) problems.push(`per-channel fracs must be integers within ±${FRAC_LIMIT}`);
  }
  return problems;
}

function nodeLabel(graph: Hypergraph, n: number): string {
  return `node ${n} '${graph.nodeNames[n]}'`;
}

export function edgeLabel(graph: Hypergraph, e: number): string {
  return `edge ${e} '${graph.edgeNames[e]}' (${graph.edgeOps[e]})`;
}

function structureProblems(graph: Hypergraph): string[] {
  const problems: string[] = [];
  const nodes = graph.nodeTypes.length;
  const role = new Array<string | undefined>(nodes);
  const claim = (n: number, what: string) => {
    if (n >= nodes) problems.push(`${what} refers to node ${n}, but the graph has ${nodes} nodes`);
    else if (role[n] !== undefined) problems.push(`${nodeLabel(graph, n)} is both ${role[n]} and ${what}`);
    else role[n] = what;
  };
  for (const n of graph.inputs) claim(n, 'a graph input');
  for (const n of graph.params.keys()) claim(n, 'a parameter');
  for (let e = 0; e < graph.edgeOps.length; e++) {
    for (const n of edgeOutputsOf(graph, e)) claim(n, `the output of ${edgeLabel(graph, e)}`);
    for (const n of edgeInputsOf(graph, e)) {
      if (n >= nodes)
        problems.push(`${edgeLabel(graph, e)} reads node ${n}, but the graph has ${nodes} nodes`);
    }
  }
  graph.outputs.forEach((n) => {
    if (n >= nodes) problems.push(`graph output refers to node ${n}, but the graph has ${nodes} nodes`);
    else if (role[n] === undefined) problems.push(`graph output ${nodeLabel(graph, n)} is never computed`);
  });
  for (let n = 0; n < nodes; n++) {
    const typeProblems = tensorTypeProblems(graph.nodeTypes[n]!);
    for (const p of typeProblems) problems.push(`${nodeLabel(graph, n)}: ${p}`);
  }
  for (const [n, data] of graph.params) {
    const type = graph.nodeTypes[n];
    if (!type) continue;
    if (data.length !== sizeOf(type.shape)) {
      problems.push(
        `parameter ${nodeLabel(graph, n)} holds ${data.length} values for shape ${formatShape(type.shape)}`,
      );
      continue;
    }
    const { min, max } = dtypeInfo(type.dtype);
    const bad = data.findIndex((v) => v < min || v > max);
    if (bad >= 0)
      problems.push(`parameter ${nodeLabel(graph, n)} value ${data[bad]} at ${bad} is outside ${type.dtype}`);
  }
  return problems;
}

/** Problems with one edge: its op, arity, attributes, inferred shape, types and value bounds. */
export function edgeProblems(graph: Hypergraph, e: number): string[] {
  const op = findOp(graph.edgeOps[e]!);
  if (!op) return [`unknown op '${graph.edgeOps[e]}'`];
  const ins = [...edgeInputsOf(graph, e)];
  const outs = [...edgeOutputsOf(graph, e)];
  if (ins.length < op.minInputs || ins.length > op.maxInputs) {
    const range = op.minInputs === op.maxInputs ? `${op.minInputs}` : `${op.minInputs}..${op.maxInputs}`;
    return [`takes ${range} inputs, got ${ins.length}`];
  }
  if (outs.length !== 1) return [`has one output, got ${outs.length}`];
  const attrs = normalizeAttrs(op, graph.edgeAttrs[e]!);
  if (typeof attrs === 'string') return [attrs];
  if (JSON.stringify(attrs) !== JSON.stringify(graph.edgeAttrs[e]))
    return ['attributes are not in canonical form'];
  const inTypes = ins.map((n) => graph.nodeTypes[n]!);
  const outType = graph.nodeTypes[outs[0]!]!;
  const shape = op.inferShape(inTypes, attrs);
  if (typeof shape === 'string') return [shape];
  if (!sameShape(shape, outType.shape)) {
    return [`output shape must be ${formatShape(shape)}, the output node is ${formatType(outType)}`];
  }
  const problems = op.check({ inTypes, outType, attrs, constants: ins.map((n) => graph.params.get(n)) });
  const work = maxElementWork(op, inTypes, outType, attrs);
  if (work.problem) problems.push(work.problem);
  return problems;
}

/**
 * Full validation: structure, every tensor type, every edge against its op, acyclicity.
 * Throws one IrError listing every problem, each naming its edge or node.
 */
export function validateGraph(graph: Hypergraph): void {
  const problems = structureProblems(graph);
  if (problems.length === 0) {
    for (let e = 0; e < graph.edgeOps.length; e++) {
      for (const p of edgeProblems(graph, e)) problems.push(`${edgeLabel(graph, e)}: ${p}`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).map((p) => `  - ${p}`);
    if (problems.length > 20) shown.push(`  ... and ${problems.length - 20} more`);
    throw new IrError('GRAPH_INVALID', `invalid graph (${problems.length} problem(s)):\n${shown.join('\n')}`);
  }
  canonicalSchedule(graph);
}
