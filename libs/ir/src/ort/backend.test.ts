import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import { run } from '../interpreter.js';
import { createModel, type Model } from '../model.js';
import type { IntTensor } from '../tensor.js';
import { Random } from '../testing/random.js';
import { randomGraph } from '../testing/random-graph.js';
import { randomSoftmaxSegmentsGraph } from '../testing/random-softmax-segments-graph.js';
import { createHotPathBackend, createOnnxRuntimeBackend, exactProviders } from './backend.js';
import { float32Exact } from './lower-edge.js';

const GRAPHS = 220;

async function expectBitIdentical(model: Model, inputs: IntTensor[], label: string): Promise<number[]> {
  const logs: string[] = [];
  const backend = await createOnnxRuntimeBackend(model, { log: (m) => logs.push(m) });
  try {
    const fast = await backend.run(inputs);
    const reference = run(model, inputs, { keepIntermediates: true }).values!;
    reference.forEach((expected, n) => {
      const actual = fast.values[n];
      if (!actual || actual.length !== expected!.length || actual.some((v, i) => v !== expected![i])) {
        const i = actual ? actual.findIndex((v, k) => v !== expected![k]) : -1;
        throw new Error(
          `${label}: node ${n} '${model.graph.nodeNames[n]}' differs at ${i}: ${actual?.[i]} vs ${expected![i]}`,
        );
      }
    });
    expect(logs).toHaveLength(backend.fallbackSteps.length);
    await expectHotPathIdentical(model, inputs, reference, label);
    return [...backend.fallbackSteps];
  } finally {
    await backend.close();
  }
}

/** The hot path returns only the outputs: they must equal the reference's, byte for byte. */
async function expectHotPathIdentical(
  model: Model,
  inputs: IntTensor[],
  reference: readonly (Int32Array | undefined)[],
  label: string,
): Promise<void> {
  const hot = await createHotPathBackend(model, { log: () => {} });
  try {
    const outputs = await hot.run(inputs);
    model.graph.outputs.forEach((n, i) => {
      const actual = outputs[i]!.data;
      const expected = reference[n]!;
      const at = actual.findIndex((v, k) => v !== expected[k]);
      if (actual.length !== expected.length || at !== -1)
        throw new Error(`${label}: hot-path output ${i} differs at ${at}: ${actual[at]} vs ${expected[at]}`);
    });
  } finally {
    await hot.close();
  }
}

describe('onnxruntime backend', () => {
  it(`is bit-identical to the reference on every intermediate of ${GRAPHS} random graphs`, async () => {
    let steps = 0;
    let fallbacks = 0;
    for (let seed = 1; seed <= GRAPHS; seed++) {
      const { model, inputs } = randomGraph(seed);
      fallbacks += (await expectBitIdentical(model, inputs, `seed ${seed}`)).length;
      steps += model.schedule.length;
    }
    // Most steps must really run on onnxruntime, not on the reference fallback.
    expect(fallbacks / steps).toBeLessThan(0.35);
  });

  it('runs SegmentMax on onnxruntime and the split Softmax bit-identically on 40 random graphs', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const { model, inputs } = randomSoftmaxSegmentsGraph(seed);
      const fallbacks = await expectBitIdentical(model, inputs, `softmax segments seed ${seed}`);
      // SoftmaxSegmentSum, SoftmaxNormalize and Softmax (exp, rounding division) run on the reference.
      expect(fallbacks.map((step) => model.graph.edgeOps[model.schedule[step]!])).not.toContain('SegmentMax');
    }
  });

  it('saturates, rounds negative ties and handles per-channel weights, bias, groups, strides and pads exactly', async () => {
    const rng = new Random(5);
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [2, 4, 9, 9], frac: 5 });
    const w = b.param(
      'w',
      { dtype: 'i8', shape: [8, 2, 3, 3], frac: { axis: 0, fracs: [0, 1, 2, 3, 4, 5, 6, 7] } },
      rng.ints(144, -128, 127),
    );
    const bias = b.param(
      'b',
      { dtype: 'i32', shape: [8], frac: { axis: 0, fracs: [5, 6, 7, 8, 9, 10, 11, 12] } },
      rng.ints(8, -2000, 2000),
    );
    const c = b.op('Conv', [x, w, bias], {
      frac: 1,
      attrs: { strides: [2, 1], pads: [1, 0, 1, 2], group: 2, dilations: [1, 2] },
    });
    const r = b.op('Relu', [c]);
    const p = b.op('MaxPool', [r], { attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 0, 0] } });
    const g = b.op('GlobalAveragePool', [p]);
    const flat = b.op('Reshape', [p], { attrs: { shape: [2, 8 * 3 * 4] } });
    const fcw = b.param('fcw', { dtype: 'i8', shape: [5, 96], frac: 9 }, rng.ints(480, -128, 127));
    const fc = b.op('MatMul', [flat, fcw], { frac: -2 });
    b.output(fc);
    b.output(g);
    const model = createModel(b.build(), 'edge-cases');
    const inputs = [{ dtype: 'i8' as const, shape: [2, 4, 9, 9], data: rng.ints(648, -128, 127) }];
    expect(await expectBitIdentical(model, inputs, 'edge cases')).toEqual([]);
  });

  it('is exact on reductions too wide for float32, where it uses the integer kernels', async () => {
    const rng = new Random(8);
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [1, 64, 6, 6], frac: 4 });
    const convWeights = Int32Array.from({ length: 2 * 64 * 25 }, () => (rng.next() < 0.5 ? -127 : 127));
    const w = b.param('w', { dtype: 'i8', shape: [2, 64, 5, 5], frac: 3 }, convWeights);
    const c = b.op('Conv', [x, w], { frac: -8, attrs: { pads: [2, 2, 2, 2] } });
    const flat = b.op('Reshape', [c], { attrs: { shape: [1, 72] } });
    const wide = b.input('wide', { dtype: 'i8', shape: [3, 4000], frac: 2 });
    const fcWeights = rng.ints(2 * 4000, -100, 100);
    const fc = b.op('MatMul', [wide, b.param('fcw', { dtype: 'i8', shape: [2, 4000], frac: 2 }, fcWeights)], {
      frac: -6,
    });
    b.output(flat);
    b.output(fc);
    expect(float32Exact(convWeights, 64 * 25, { dtype: 'i8', shape: [], frac: 0 })).toBe(false);
    expect(float32Exact(fcWeights, 4000, { dtype: 'i8', shape: [], frac: 0 })).toBe(false);
    const model = createModel(b.build(), 'wide');
    const inputs = [
      { dtype: 'i8' as const, shape: [1, 64, 6, 6], data: rng.ints(64 * 36, -128, 127) },
      { dtype: 'i8' as const, shape: [3, 4000], data: rng.ints(12000, -128, 127) },
    ];
    expect(await expectBitIdentical(model, inputs, 'wide')).toEqual([]);
  });

  it('runs i16 activations times i8 weights as two exact float32 products (high and low byte)', async () => {
    const rng = new Random(11);
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i16', shape: [1, 6, 7, 7], frac: 9 });
    const w = b.param('w', { dtype: 'i8', shape: [4, 3, 3, 3], frac: 6 }, rng.ints(108, -128, 127));
    const bias = b.param('b', { dtype: 'i32', shape: [4], frac: 15 }, rng.ints(4, -90000, 90000));
    const c = b.op('Conv', [x, w, bias], { dtype: 'i16', frac: 4, attrs: { group: 2, pads: [1, 1, 1, 1] } });
    const flat = b.op('Reshape', [c], { attrs: { shape: [4, 49] } });
    const fcw = b.param('fcw', { dtype: 'i8', shape: [5, 49], frac: 7 }, rng.ints(245, -128, 127));
    b.output(b.op('MatMul', [flat, fcw], { dtype: 'i16', frac: 2 }));
    const model = createModel(b.build(), 'i16-bytes');
    // Extremes first: −32768, 32767 and values next to multiples of 256.
    const extremes = [-32768, 32767, -256, -257, 255, 256, -1, 0];
    const data = rng.ints(294, -32768, 32767).map((v, i) => (i < extremes.length ? extremes[i]! : v));
    const inputs = [{ dtype: 'i16' as const, shape: [1, 6, 7, 7], data }];
    // Every valid i16 × i8 edge fits: its int32 accumulator bound, Σ|w|·2^15 < 2^31, is the split's.
    expect(await expectBitIdentical(model, inputs, 'i16 bytes')).toEqual([]);
  });
});

describe('execution providers', () => {
  it('turns TF32 off for CUDA, process-wide, and leaves a CPU-only process alone', () => {
    const env: NodeJS.ProcessEnv = { NVIDIA_TF32_OVERRIDE: '1' };
    expect(exactProviders(['cuda', 'cpu'], env)).toEqual(['cuda', 'cpu']);
    expect(env.NVIDIA_TF32_OVERRIDE).toBe('0');
    const cpuOnly: NodeJS.ProcessEnv = {};
    expect(exactProviders(['cpu'], cpuOnly)).toEqual(['cpu']);
    expect(cpuOnly).toEqual({});
  });
});
