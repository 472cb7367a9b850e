import type { FloatGraph, FloatNode, FloatTensor } from './float-graph.js';
import { FLOAT_OPS } from './float-ops.js';
import { SHAPE_ONLY_OPS } from './float-ops-extra.js';

/** Per-channel a = γ / √(σ² + ε) and c = β − μ·a: BatchNormalization as y = a·x + c. */
export function batchNormAffine(
  node: FloatNode,
  constants: ReadonlyMap<string, FloatTensor>,
): { a: Float64Array; c: Float64Array } {
  const [, scale, bias, mean, variance] = node.inputs.map((n) => constants.get(n)!);
  const eps = typeof node.attrs.epsilon === 'number' ? node.attrs.epsilon : 1e-5;
  const channels = scale!.data.length;
  const a = new Float64Array(channels);
  const c = new Float64Array(channels);
  for (let ch = 0; ch < channels; ch++) {
    a[ch] = scale!.data[ch]! / Math.sqrt(variance!.data[ch]! + eps);
    c[ch] = bias!.data[ch]! - mean!.data[ch]! * a[ch]!;
  }
  return { a, c };
}

function isConstant(graph: FloatGraph, names: readonly string[]): boolean {
  return names.every((n) => graph.constants.has(n));
}

/**
 * Folds each BatchNormalization that directly follows a Conv (whose output nothing else reads)
 * into that Conv's weights and bias, as inference engines do. Other BatchNormalizations stay
 * and are lowered to a per-channel Mul and Add.
 */
export function foldBatchNorms(graph: FloatGraph): FloatGraph {
  const readers = new Map<string, number>();
  for (const node of graph.nodes) for (const i of node.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of graph.outputs) readers.set(o, (readers.get(o) ?? 0) + 1);
  const producer = new Map(graph.nodes.map((n) => [n.output, n]));
  const constants = new Map(graph.constants);
  const replaced = new Map<FloatNode, FloatNode>();
  const dropped = new Set<FloatNode>();

  for (const bn of graph.nodes) {
    if (bn.op !== 'BatchNormalization' || !isConstant(graph, bn.inputs.slice(1))) continue;
    const conv = producer.get(bn.inputs[0]!);
    if (conv?.op !== 'Conv' || readers.get(conv.output) !== 1 || !isConstant(graph, conv.inputs.slice(1)))
      continue;
    const { a, c } = batchNormAffine(bn, graph.constants);
    const weights = graph.constants.get(conv.inputs[1]!)!;
    const perChannel = weights.data.length / a.length;
    const w = weights.data.map((v, i) => v * a[Math.floor(i / perChannel)]!);
    const oldBias = conv.inputs[2] ? graph.constants.get(conv.inputs[2])!.data : new Float64Array(a.length);
    const b = c.map((cc, ch) => oldBias[ch]! * a[ch]! + cc);
    const wName = `${conv.name}.weight_bn_folded`;
    const bName = `${conv.name}.bias_bn_folded`;
    constants.set(wName, { shape: weights.shape, data: w });
    constants.set(bName, { shape: [a.length], data: b });
    replaced.set(conv, {
      ...conv,
      name: `${conv.name}+${bn.name}`,
      inputs: [conv.inputs[0]!, wName, bName],
      output: bn.output,
    });
    dropped.add(bn);
  }
  if (dropped.size === 0) return graph;
  const nodes = graph.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n);
  const shapes = new Map(graph.shapes);
  for (const [name, t] of constants) shapes.set(name, t.shape);
  return { ...graph, nodes, constants, shapes };
}

/**
 * Import-time constant folding: a node whose inputs are all constants, or that reads only its
 * input's fixed shape (Shape), is evaluated once with its float semantics and becomes a
 * constant. Shape→Cast→Slice→Concat→Reshape chains thus vanish once the input size is fixed.
 */
export function foldConstantNode(
  node: FloatNode,
  shape: readonly number[],
  shapes: ReadonlyMap<string, readonly number[]>,
  constants: ReadonlyMap<string, FloatTensor>,
): FloatTensor | undefined {
  if (!SHAPE_ONLY_OPS.has(node.op) && !node.inputs.every((i) => constants.has(i))) return undefined;
  const inputs = node.inputs.map(
    (i) => constants.get(i) ?? { shape: shapes.get(i)!, data: new Float64Array(0) },
  );
  return { shape, data: FLOAT_OPS[node.op]!.run(inputs, node, shape) };
}
