import { type ExecutionBackend, edgeOutputsOf, type Model, recomputeFrom } from '@stoa/ir';

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
      recomputeFrom(model, tampered, step);
      const outputs = [...graph.outputs].map((n) => ({
        dtype: graph.nodeTypes[n]!.dtype,
        shape: graph.nodeTypes[n]!.shape,
        data: tampered[n]!,
      }));
      return { outputs, values: tampered };
    },
  };
}
