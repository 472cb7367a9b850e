import {
  type ExecutionBackend,
  edgeInputsOf,
  edgeOutputsOf,
  executeTile,
  type Model,
  sizeOf,
} from '@stoa/ir';

/**
 * STOA_TEST_FAULT: a backend that computes honestly, then adds one to the first output
 * element of step `step` and recomputes every later step from it — a node that got one layer
 * wrong, consistently. Exists so that tests can prove such a node is caught and slashed.
 */
export function faultyBackend(model: Model, honest: ExecutionBackend, step: number): ExecutionBackend {
  if (step < 0 || step >= model.schedule.length) {
    throw new Error(`STOA_TEST_FAULT: step ${step} is out of range 0..${model.schedule.length - 1}`);
  }
  const { graph, schedule } = model;
  return {
    async run(inputs) {
      const { values } = await honest.run(inputs);
      const tampered = values.map((v) => v?.slice()) as Int32Array[];
      tampered[edgeOutputsOf(graph, schedule[step]!)[0]!]![0]! += 1;
      for (let s = step + 1; s < schedule.length; s++) {
        const edge = schedule[s]!;
        const ins = [...edgeInputsOf(graph, edge)].map((n) => tampered[n] ?? graph.params.get(n)!);
        const out = edgeOutputsOf(graph, edge)[0]!;
        const size = sizeOf(graph.nodeTypes[out]!.shape);
        tampered[out] = executeTile(graph, edge, ins, { index: 0, start: 0, end: size, work: size });
      }
      const outputs = [...graph.outputs].map((n) => ({
        dtype: graph.nodeTypes[n]!.dtype,
        shape: graph.nodeTypes[n]!.shape,
        data: tampered[n]!,
      }));
      return { outputs, values: tampered };
    },
  };
}
