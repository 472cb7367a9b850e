import type { ExecutionView } from '@stoa/contracts';
import {
  buildTrace,
  type ExecutionBackend,
  edgeInputsOf,
  edgeOutputsOf,
  type Hypergraph,
  type Model,
  merkleRoot,
  recomputeFrom,
  referenceBackend,
  sha256,
  sizeOf,
} from '@stoa/ir';

/**
 * Ways a dishonest node can produce an execution, for tests. Each returns the view the node
 * commits to (and signs a receipt for); the true execution is `honest`.
 */

function copyValues(view: ExecutionView): Int32Array[] {
  return view.values.map((v) => (v ? v.slice() : v)) as Int32Array[];
}

function retrace(view: ExecutionView, values: Int32Array[], model = view.model): ExecutionView {
  return { model: view.model, values, trace: buildTrace(model, values) };
}

/** The node skipped step `step`: it passed the step's first input through unchanged. */
export function skipLayer(honest: ExecutionView, step: number): ExecutionView {
  const { graph, schedule } = honest.model;
  const edge = schedule[step]!;
  const input = edgeInputsOf(graph, edge)[0]!;
  const out = edgeOutputsOf(graph, edge)[0]!;
  if (sizeOf(graph.nodeTypes[input]!.shape) !== sizeOf(graph.nodeTypes[out]!.shape)) {
    throw new Error(`step ${step} changes the shape: it cannot be skipped by passing its input through`);
  }
  const values = copyValues(honest);
  values[out] = (honest.values[input] ?? graph.params.get(input)!).slice();
  recomputeFrom(honest.model, values, step);
  return retrace(honest, values);
}

/** One value of step `step`'s output is off by `delta`; the steps after it are computed from it. */
export function perturbValue(honest: ExecutionView, step: number, element = 0, delta = 1): ExecutionView {
  const { graph, schedule } = honest.model;
  const out = edgeOutputsOf(graph, schedule[step]!)[0]!;
  const values = copyValues(honest);
  values[out]![element]! += delta;
  recomputeFrom(honest.model, values, step);
  return retrace(honest, values);
}

/** The node ran the model with one weight changed (and committed to those weights). */
export function otherWeights(honest: ExecutionView, delta = 1): ExecutionView {
  const { model } = honest;
  const [param, data] = [...model.graph.params][0]!;
  const changed = data.slice();
  changed[0]! += delta;
  const graph: Hypergraph = { ...model.graph, params: new Map([...model.graph.params, [param, changed]]) };
  const other: Model = { ...model, graph };
  const values = copyValues(honest);
  values[param] = changed;
  recomputeFrom(other, values, -1);
  return { model, values, trace: buildTrace(other, values) };
}

/** The right output, with a trace the node never computed: random step leaves but the last. */
export function fabricatedTrace(honest: ExecutionView): ExecutionView {
  const leaves = honest.trace.stepLeaves.map((leaf, i, all) =>
    i === all.length - 1 ? leaf : sha256(Uint8Array.of(0xfa, i), leaf),
  );
  return { ...honest, trace: { ...honest.trace, stepLeaves: leaves, traceRoot: merkleRoot(leaves) } };
}

/** An honest trace, but a receipt whose output digest says something else. */
export function alteredOutput(honest: ExecutionView): ExecutionView {
  return { ...honest, trace: { ...honest.trace, outputDigest: sha256(honest.trace.outputDigest) } };
}

/**
 * A node's backend that gets step `step` wrong by `delta` (then computes every later step from
 * it, consistently): what it answers and what it rebuilds in a dispute agree.
 */
export function perturbingBackend(model: Model, step: number, delta = 5): ExecutionBackend {
  const honest = referenceBackend(model);
  return {
    async run(inputs) {
      const { values } = await honest.run(inputs);
      const wrong = perturbValue({ model, values, trace: buildTrace(model, values) }, step, 0, delta);
      const outputs = [...model.graph.outputs].map((n) => ({
        ...model.graph.nodeTypes[n]!,
        data: wrong.values[n]!,
      }));
      return { outputs, values: wrong.values };
    },
  };
}
