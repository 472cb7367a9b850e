import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import { edgeOutputsOf } from '../graph/types.js';
import { run } from '../interpreter.js';
import { createModel, type Model } from '../model.js';
import { inputChannelWeights } from '../ops/conv-accumulate.js';
import { type IntTensor, sizeOf } from '../tensor.js';
import { Random } from '../testing/random.js';
import { randomConvAccumulateGraph } from '../testing/random-conv-accumulate-graph.js';
import { createHotPathBackend } from './backend.js';
import { convChains } from './conv-chain.js';
import { transposeChunks } from './lower-upsample.js';

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

/** Two links' geometry: a Conv's over a few channels, or a ConvTranspose's too wide for one float32 sum. */
const TWO_LINKS = {
  conv: {
    op: 'ConvAccumulate',
    x: [1, 5, 6, 7],
    out: { dtype: 'i16', frac: 2 },
    weights: { dtype: 'i16', o: 2, split: 2 },
    window: { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] },
  },
  // Σ|w|·256 over 96 channels of i8 weights is past 2^24, over 48 it is not: two float32 chunks.
  // Stride 1 lands every tap on an output, weights in [100, 127] and x's low bytes in [200, 255]
  // sum past 2^24 (one float32 sum would round), and an i32 output at the accumulator's frac
  // keeps every unit.
  transpose: {
    op: 'ConvTransposeAccumulate',
    x: [1, 96, 3, 4],
    out: { dtype: 'i32', frac: 15 },
    weights: { dtype: 'i8', o: 2, split: 48 },
    window: { strides: [1, 1], pads: [1, 1, 1, 1] },
  },
} as const;

/**
 * x i16; a 3×3 Conv's (ConvTranspose's) input channels as two links over [0, split) and
 * [split, C), the second requantizing; i16 weights and x uniform, i8 weights and x large and positive.
 */
function twoLinks(options: { kind: keyof typeof TWO_LINKS; firstFracs: number[]; exposeFirst: boolean }) {
  const spec = TWO_LINKS[options.kind];
  const rng = new Random(15);
  const b = new GraphBuilder();
  const shape = [...spec.x];
  const channels = shape[1]!;
  const { dtype, o, split } = spec.weights;
  const x = b.input('x', { dtype: 'i16', shape, frac: 6 });
  const wShape = [o, channels, 3, 3];
  const weights =
    dtype === 'i16' ? rng.ints(sizeOf(wShape), -32768, 32767) : new Int32Array(sizeOf(wShape)).fill(127);
  const link = (start: number, c: number, fracs: number[]) =>
    b.param(
      `w[${start}]`,
      { dtype, shape: [o, c, 3, 3], frac: { axis: 0, fracs } },
      inputChannelWeights(weights, wShape, start, c),
    );
  const first = b.op(spec.op, [x, link(0, split, options.firstFracs)], {
    dtype: 'i32',
    frac: 0,
    attrs: { ...spec.window, start: 0, requantize: 0 },
  });
  if (options.exposeFirst) b.output(first);
  b.output(
    b.op(spec.op, [x, link(split, channels - split, [9, 12]), first], {
      ...spec.out,
      attrs: { ...spec.window, start: split, requantize: 1 },
    }),
  );
  return {
    model: createModel(b.build(), `two-links-${options.kind}`),
    inputs: [
      {
        dtype: 'i16' as const,
        shape,
        data: dtype === 'i16' ? rng.ints(sizeOf(shape), -32768, 32767) : rng.ints(sizeOf(shape), 200, 255),
      },
    ],
    weights,
    wShape,
  };
}

/** On 40 random graphs (30 of ConvTransposes), every chain of ≥ 2 links fuses, bit-identical. */
async function randomChains(transpose: boolean, graphs: number): Promise<number> {
  let fused = 0;
  for (let seed = 1; seed <= graphs; seed++) {
    const { model, inputs } = transpose
      ? randomConvAccumulateGraph(seed, true, 'i8')
      : randomConvAccumulateGraph(seed);
    const op = transpose ? 'ConvTransposeAccumulate' : 'ConvAccumulate';
    const links = [...model.schedule].filter((e) => model.graph.edgeOps[e] === op).sort((a, b) => a - b);
    const chains = [...chainsOf(model).values()];
    // Every chain the generator builds qualifies: one input, one window, channels covered once.
    expect(
      chains.map((c) => [...c.links].sort((a, b) => a - b)),
      `seed ${seed}`,
    ).toEqual(links.length > 1 ? [links] : []);
    fused += chains.length;
    await expectHotPathEqualsReference(model, inputs, `seed ${seed}`);
  }
  return fused;
}

describe.each(['conv', 'transpose'] as const)('%s chains on the hot path', (kind) => {
  it("requantize with the last link's fracs: earlier links' fracs scale nothing (limbs)", async () => {
    const { model, inputs } = twoLinks({ kind, firstFracs: [0, 14], exposeFirst: false });
    expect([...chainsOf(model).keys()]).toEqual([model.schedule.at(-1)]);
    await expectHotPathEqualsReference(model, inputs, 'different fracs');
  });

  it('lower link by link when a limb tensor leaves onnxruntime', async () => {
    const { model, inputs } = twoLinks({ kind, firstFracs: [9, 12], exposeFirst: true });
    const limbs = edgeOutputsOf(model.graph, model.schedule[0]!)[0]!;
    expect(model.graph.outputs).toContain(limbs);
    expect(chainsOf(model).size).toBe(0);
    await expectHotPathEqualsReference(model, inputs, 'exposed limbs');
  });
});

describe('ConvAccumulate chains on the hot path', () => {
  it('run as one Conv, bit-identical to the reference, on 40 random graphs with chains', async () => {
    expect(await randomChains(false, 40)).toBeGreaterThanOrEqual(25);
  });
});

describe('ConvTransposeAccumulate chains on the hot path', () => {
  it('run as one ConvTranspose, bit-identical to the reference, on 30 random graphs with chains', async () => {
    expect(await randomChains(true, 30)).toBeGreaterThanOrEqual(15);
  });

  it('sum a whole ConvTranspose too wide for one float32 sum in exact channel chunks', async () => {
    const { model, inputs, weights, wShape } = twoLinks({
      kind: 'transpose',
      firstFracs: [9, 12],
      exposeFirst: false,
    });
    const x = model.graph.nodeTypes[model.graph.inputs[0]!]!;
    expect(transposeChunks(weights, wShape, x)).toHaveLength(2);
    expect(chainsOf(model).size).toBe(1);
    await expectHotPathEqualsReference(model, inputs, 'two chunks');
  });
});
