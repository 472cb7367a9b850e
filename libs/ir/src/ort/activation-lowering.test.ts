import { describe, expect, it } from 'vitest';
import { run } from '../interpreter.js';
import { randomActivationGraph } from '../testing/random-activation-graph.js';
import { randomAttentionGraph } from '../testing/random-attention-graph.js';
import { randomConvAccumulateGraph } from '../testing/random-conv-accumulate-graph.js';
import { randomConvTapsGraph } from '../testing/random-conv-taps-graph.js';
import type { RandomGraphCase } from '../testing/random-graph.js';
import { randomUpsampleGraph } from '../testing/random-upsample-graph.js';
import { randomWideMacGraph } from '../testing/random-wide-mac-graph.js';
import { createOnnxRuntimeBackend } from './backend.js';

/** Generators of random graphs around the ops added for PP-OCR, and the ops each must cover. */
const FAMILIES: readonly {
  name: string;
  generate: (seed: number) => RandomGraphCase;
  graphs: number;
  ops: readonly string[];
}[] = [
  {
    name: 'Clip and HardSigmoid',
    generate: randomActivationGraph,
    graphs: 150,
    ops: ['Clip', 'HardSigmoid'],
  },
  {
    name: 'BatchMatMul, ReduceMean, Slice and LayerNorm',
    generate: randomAttentionGraph,
    graphs: 60,
    ops: ['BatchMatMul', 'ReduceMean', 'Slice', 'LayerNorm'],
  },
  {
    // i16 weights (issue 15): both operands split into bytes, wide reductions cut into chunks.
    name: 'MatMul and Conv with i16 weights',
    generate: randomWideMacGraph,
    graphs: 120,
    ops: [],
  },
  {
    // i16 × i16 Conv with two or three kernel columns, often all −32768/32767 (ConvKernels' packed dot).
    name: 'Conv over i16 activations and weights, two or three kernel columns',
    generate: randomConvTapsGraph,
    graphs: 110,
    ops: ['Conv'],
  },
  {
    name: 'Resize and ConvTranspose',
    generate: randomUpsampleGraph,
    graphs: 100,
    ops: ['Resize', 'ConvTranspose'],
  },
  {
    // A Conv split over input channels (issue 15): the limbs and the final requantization.
    name: 'ConvAccumulate chains',
    generate: randomConvAccumulateGraph,
    graphs: 40,
    ops: ['ConvAccumulate'],
  },
  {
    // A ConvTranspose split over input channels (issue 15), i8 weights as the importer's.
    name: 'ConvTransposeAccumulate chains',
    generate: (seed) => randomConvAccumulateGraph(seed, true, 'i8'),
    graphs: 30,
    ops: ['ConvTransposeAccumulate'],
  },
];

describe.each(FAMILIES)('onnxruntime lowering of $name', ({ generate, graphs, ops }) => {
  it(`is bit-identical to the reference on every intermediate of ${graphs} random graphs, without fallback`, async () => {
    const perOp = new Map<string, number>();
    for (let seed = 1; seed <= graphs; seed++) {
      const { model, inputs } = generate(seed);
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
    for (const op of ops) expect(perOp.get(op), op).toBeGreaterThanOrEqual(graphs);
  });
});
