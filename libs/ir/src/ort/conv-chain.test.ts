import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import { edgeOutputsOf } from '../graph/types.js';
import { run } from '../interpreter.js';
import { createModel, type Model } from '../model.js';
import { inputChannelWeights } from '../ops/conv-accumulate.js';
import type { IntTensor } from '../tensor.js';
import { Random } from '../testing/random.js';
import { randomConvAccumulateGraph } from '../testing/random-conv-accumulate-graph.js';
import { createHotPathBackend } from './backend.js';
import { convChains } from './conv-chain.js';

/** The chains the hot path fuses when the whole schedule is one segment exposing only the outputs. */
const chainsOf = (model: Model) =>
  convChains(model.graph, [...model.schedule], (n) => model.graph.outputs.includes(n));

async function expectHotPathEqualsReference(model: Model, inputs: IntTensor[], label: string) {
  const hot = await createHotPathBackend(model, { log: () => {} });
  try {
    expect(hot.fallbackSteps, label).toEqual([]);
    const outputs = await hot.run(inputs);
    run(model, inputs).outputs.forEach((expected, k) => {
      expect(Array.from(outputs[k]!.data), `${label} output ${k}`).toEqual(Array.from(expected.data));
    });
  } finally {
    await hot.close();
  }
}

/** x [1, 5, 6, 7] i16; a 3×3 Conv's 5 input channels as links over [0, 2), [2, 5), weights i16. */
function twoLinks(options: { firstFracs: number[]; exposeFirst: boolean }) {
  const rng = new Random(15);
  const b = new GraphBuilder();
  const shape = [1, 5, 6, 7];
  const x = b.input('x', { dtype: 'i16', shape, frac: 6 });
  const wShape = [2, 5, 3, 3];
  const weights = rng.ints(90, -32768, 32767);
  const window = { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] };
  const link = (start: number, c: number, fracs: number[]) =>
    b.param(
      `w[${start}]`,
      { dtype: 'i16', shape: [2, c, 3, 3], frac: { axis: 0, fracs } },
      inputChannelWeights(weights, wShape, start, c),
    );
  const first = b.op('ConvAccumulate', [x, link(0, 2, options.firstFracs)], {
    dtype: 'i32',
    frac: 0,
    attrs: { ...window, start: 0, requantize: 0 },
  });
  if (options.exposeFirst) b.output(first);
  b.output(
    b.op('ConvAccumulate', [x, link(2, 3, [9, 12]), first], {
      dtype: 'i16',
      frac: 2,
      attrs: { ...window, start: 2, requantize: 1 },
    }),
  );
  return {
    model: createModel(b.build(), 'two-links'),
    inputs: [{ dtype: 'i16' as const, shape, data: rng.ints(210, -32768, 32767) }],
  };
}

describe('ConvAccumulate chains on the hot path', () => {
  it('run as one Conv, bit-identical to the reference, on 40 random graphs with chains', async () => {
    let fused = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const { model, inputs } = randomConvAccumulateGraph(seed);
      const links = [...model.schedule]
        .filter((e) => model.graph.edgeOps[e] === 'ConvAccumulate')
        .sort((a, b) => a - b);
      const chains = [...chainsOf(model).values()];
      // Every chain the generator builds qualifies: one input, one window, channels covered once.
      expect(
        chains.map((c) => [...c.links].sort((a, b) => a - b)),
        `seed ${seed}`,
      ).toEqual(links.length > 1 ? [links] : []);
      fused += chains.length;
      await expectHotPathEqualsReference(model, inputs, `seed ${seed}`);
    }
    expect(fused).toBeGreaterThanOrEqual(25);
  });

  it("requantize with the last link's fracs: earlier links' fracs scale nothing (limbs)", async () => {
    const { model, inputs } = twoLinks({ firstFracs: [0, 14], exposeFirst: false });
    expect([...chainsOf(model).keys()]).toEqual([model.schedule.at(-1)]);
    await expectHotPathEqualsReference(model, inputs, 'different fracs');
  });

  it('lower link by link when a limb tensor leaves onnxruntime', async () => {
    const { model, inputs } = twoLinks({ firstFracs: [9, 12], exposeFirst: true });
    const limbs = edgeOutputsOf(model.graph, model.schedule[0]!)[0]!;
    expect(model.graph.outputs).toContain(limbs);
    expect(chainsOf(model).size).toBe(0);
    await expectHotPathEqualsReference(model, inputs, 'exposed limbs');
  });
});
