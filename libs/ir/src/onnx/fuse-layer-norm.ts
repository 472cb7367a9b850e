import type { FloatGraph, FloatNode } from './float-graph.js';

/**
 * Finds the layer norm PaddlePaddle writes out over the last axis —
 * `m = ReduceMean(x)`, `d = Sub(x, m)`, `Div(d, Sqrt(Add(ReduceMean(Pow(d, 2)), ε)))` — whose
 * intermediates nothing else reads (d: only the Pow and the Div), and replaces it with one
 * `LayerNorm` node (attribute epsilon), lowered to the exact integer op of that name.
 */
export function fuseLayerNorms(graph: FloatGraph): FloatGraph {
  const readers = new Map<string, number>();
  for (const node of graph.nodes) for (const i of node.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of graph.outputs) readers.set(o, (readers.get(o) ?? 0) + 1);
  const producer = new Map(graph.nodes.map((n) => [n.output, n]));
  const scalarOf = (name: string | undefined) => {
    const c = name === undefined ? undefined : graph.constants.get(name);
    return c?.data.length === 1 ? c.data[0] : undefined;
  };
  const from = (name: string | undefined, op: string, reads = 1) => {
    const n = name === undefined ? undefined : producer.get(name);
    return n?.op === op && readers.get(n.output) === reads ? n : undefined;
  };
  const lastAxisMean = (n: FloatNode | undefined) => {
    if (!n) return false;
    const rank = graph.shapes.get(n.inputs[0]!)!.length;
    // axes: an attribute before opset 18, a constant input from opset 18.
    const axesInput = n.inputs[1] === undefined ? undefined : graph.constants.get(n.inputs[1]);
    const axes = axesInput ? Array.from(axesInput.data) : n.attrs.axes;
    return (
      Array.isArray(axes) &&
      axes.length === 1 &&
      (axes[0]! + rank) % rank === rank - 1 &&
      n.attrs.keepdims !== 0
    );
  };
  const replaced = new Map<FloatNode, FloatNode>();
  const dropped = new Set<FloatNode>();
  for (const div of graph.nodes) {
    if (div.op !== 'Div') continue;
    const sqrt = from(div.inputs[1], 'Sqrt');
    const add = from(sqrt?.inputs[0], 'Add');
    const epsilon = scalarOf(add?.inputs[1]);
    const variance = from(add?.inputs[0], 'ReduceMean');
    const pow = from(variance?.inputs[0], 'Pow');
    const sub = from(div.inputs[0], 'Sub', 2);
    const mean = from(sub?.inputs[1], 'ReduceMean');
    if (!sqrt || !add || epsilon === undefined || !pow || !sub || !mean) continue;
    if (pow.inputs[0] !== sub.output || scalarOf(pow.inputs[1]) !== 2 || mean.inputs[0] !== sub.inputs[0])
      continue;
    if (!lastAxisMean(mean) || !lastAxisMean(variance)) continue;
    for (const n of [mean, sub, pow, variance!, add, sqrt]) dropped.add(n);
    replaced.set(div, {
      op: 'LayerNorm',
      name: `${mean.name}…${div.name}`,
      inputs: [sub.inputs[0]!],
      output: div.output,
      attrs: { epsilon },
    });
  }
  if (replaced.size === 0) return graph;
  return { ...graph, nodes: graph.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n) };
}
