import { describe, expect, it } from 'vitest';
import { run } from '../interpreter.js';
import { randomActivationGraph } from '../testing/random-activation-graph.js';
import { createOnnxRuntimeBackend } from './backend.js';

const GRAPHS = 150;

describe('onnxruntime lowering of Clip and HardSigmoid', () => {
  it(`is bit-identical to the reference on every intermediate of ${GRAPHS} random activation graphs, without fallback`, async () => {
    const perOp = new Map<string, number>();
    for (let seed = 1; seed <= GRAPHS; seed++) {
      const { model, inputs } = randomActivationGraph(seed);
      const backend = await createOnnxRuntimeBackend(model, { log: () => {} });
      try {
        expect(backend.fallbackSteps, `seed ${seed}`).toEqual([]);
        const fast = await backend.run(inputs);
        const reference = run(model, inputs, { keepIntermediates: true }).values!;
        reference.forEach((expected, n) => {
          expect(Array.from(fast.values[n]!), `seed ${seed} node ${model.graph.nodeNames[n]}`).toEqual(
            Array.from(expected!),
          );
        });
      } finally {
        await backend.close();
      }
      for (const e of model.schedule) {
        const op = model.graph.edgeOps[e]!;
        perOp.set(op, (perOp.get(op) ?? 0) + 1);
      }
    }
    expect(perOp.get('Clip')).toBeGreaterThan(100);
    expect(perOp.get('HardSigmoid')).toBeGreaterThan(100);
  });
});
