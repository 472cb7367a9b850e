import type { FloatGraph, FloatNode } from './float-graph.js';

/** A mask entry at or below this is a masked position (exp of it underflows to 0 in float32). */
const MASKED_AT_MOST = -1e4;

/** Whether `mask` [.., M, N] (leading 1s) is 0 for k ≤ m + N − M and ≤ MASKED_AT_MOST after. */
function isCausalMask(shape: readonly number[], data: Float64Array, scores: readonly number[]): boolean {
  if (shape.length < 2 || shape.slice(0, -2).some((d) => d !== 1)) return false;
  const [M, N] = [shape.at(-2)!, shape.at(-1)!];
  if (M !== scores.at(-2) || N !== scores.at(-1) || N < M) return false;
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < N; k++) {
      const v = data[m * N + k]!;
      if (k <= m + N - M ? v !== 0 : v > MASKED_AT_MOST) return false;
    }
  }
  return true;
}

/**
 * Finds `Softmax(Add(scores, mask), axis = last)` with a constant causal mask whose sum
 * nothing else reads, and replaces the pair with one `CausalSoftmax(scores)` node, lowered to
 * the exact integer op of that name: masked weights are exactly 0 instead of exp(−10⁹).
 */
export function fuseCausalSoftmax(graph: FloatGraph): FloatGraph {
  const readers = new Map<string, number>();
  for (const node of graph.nodes) for (const i of node.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of graph.outputs) readers.set(o, (readers.get(o) ?? 0) + 1);
  const producer = new Map(graph.nodes.map((n) => [n.output, n]));
  const replaced = new Map<FloatNode, FloatNode>();
  const dropped = new Set<FloatNode>();
  for (const softmax of graph.nodes) {
    if (softmax.op !== 'Softmax') continue;
    const add = producer.get(softmax.inputs[0]!);
    if (add?.op !== 'Add' || readers.get(add.output) !== 1) continue;
    const rank = graph.shapes.get(add.output)!.length;
    const axis = typeof softmax.attrs.axis === 'number' ? softmax.attrs.axis : -1;
    if ((axis + rank) % rank !== rank - 1) continue;
    const [scores, maskName] = graph.constants.has(add.inputs[1]!)
      ? [add.inputs[0]!, add.inputs[1]!]
      : [add.inputs[1]!, add.inputs[0]!];
    const mask = graph.constants.get(maskName);
    if (!mask || !isCausalMask(mask.shape, mask.data, graph.shapes.get(scores)!)) continue;
    dropped.add(add);
    replaced.set(softmax, {
      op: 'CausalSoftmax',
      name: `${add.name}+${softmax.name}`,
      inputs: [scores],
      output: softmax.output,
      attrs: {},
    });
  }
  if (replaced.size === 0) return graph;
  return { ...graph, nodes: graph.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n) };
}
