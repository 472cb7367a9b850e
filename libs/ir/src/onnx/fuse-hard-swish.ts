import type { FloatGraph, FloatNode } from './float-graph.js';
import { clipBounds } from './float-ops-extra.js';

/**
 * Finds PaddlePaddle's written-out HardSwish, `Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)` (Mul's
 * inputs in either order), whose intermediates nothing else reads, and replaces it with one
 * `HardSwish` node. Why: lowered step by step, the product x·clip(x + 3) spans six times the
 * range of the result, which costs an i8 activation more than two bits; as one node it lowers
 * to `Mul(x, HardSigmoid(x; 1/6, 1/2))`, whose operands and result all keep x's range.
 */
export function fuseHardSwish(graph: FloatGraph): FloatGraph {
  const readers = new Map<string, number>();
  for (const node of graph.nodes) for (const i of node.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of graph.outputs) readers.set(o, (readers.get(o) ?? 0) + 1);
  const producer = new Map(graph.nodes.map((n) => [n.output, n]));
  const scalar = (name: string | undefined, value: number) => {
    const c = name === undefined ? undefined : graph.constants.get(name);
    return c !== undefined && c.data.length === 1 && c.data[0] === value;
  };
  const onlyReadOnce = (n: FloatNode) => readers.get(n.output) === 1;
  const replaced = new Map<FloatNode, FloatNode>();
  const dropped = new Set<FloatNode>();

  for (const div of graph.nodes) {
    if (div.op !== 'Div' || !scalar(div.inputs[1], 6)) continue;
    const mul = producer.get(div.inputs[0]!);
    if (mul?.op !== 'Mul' || !onlyReadOnce(mul)) continue;
    for (const [x, gate] of [mul.inputs, [...mul.inputs].reverse()] as const) {
      const clip = producer.get(gate!);
      if (clip?.op !== 'Clip' || !onlyReadOnce(clip)) continue;
      const bounds = clipBounds(
        clip,
        clip.inputs.map((n) => graph.constants.get(n)),
      );
      if (typeof bounds === 'string' || bounds.lo !== 0 || bounds.hi !== 6) continue;
      const add = producer.get(clip.inputs[0]!);
      if (add?.op !== 'Add' || !onlyReadOnce(add)) continue;
      const [p, q] = add.inputs;
      if (!((p === x && scalar(q, 3)) || (q === x && scalar(p, 3)))) continue;
      for (const n of [add, clip, mul]) dropped.add(n);
      replaced.set(div, {
        op: 'HardSwish',
        name: `${mul.name}+${div.name}`,
        inputs: [x!],
        output: div.output,
        attrs: {},
      });
      break;
    }
  }
  if (replaced.size === 0) return graph;
  const nodes = graph.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n);
  return { ...graph, nodes };
}
