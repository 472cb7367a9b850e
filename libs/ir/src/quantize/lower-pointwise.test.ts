import { describe, expect, it } from 'vitest';
import { quantizeInput } from '../boundary.js';
import { edgeInputsOf } from '../graph/types.js';
import { run } from '../interpreter.js';
import { createModel, type Model } from '../model.js';
import type { FloatGraph, FloatNode, FloatTensor } from '../onnx/float-graph.js';
import { createHotPathBackend, createOnnxRuntimeBackend } from '../ort/backend.js';
import type { IntTensor } from '../tensor.js';
import { expectTilesEqualWholeOps } from '../testing/expect-tiles.js';
import { floatNode } from '../testing/float-node.js';
import { Random } from '../testing/random.js';
import { calibrate } from './calibrate.js';
import type { ConvSplit } from './conv-split.js';
import { type LowerOptions, lowerToIntegerGraph } from './lower.js';

/** One link a channel: every Conv over two or more channels would be cut into links. */
const CHANNELS_LAST: ConvSplit = { channels: 1, pointwise: 'channels-last' };

interface Case {
  readonly graph: FloatGraph;
  readonly samples: Float64Array[];
  readonly options: LowerOptions;
}

/** x [N, C, H, W] → one Conv `node` (weights `w`, bias `b` when given) → y, over random weights and inputs. */
function convCase(
  rng: Random,
  node: FloatNode,
  x: number[],
  w: number[],
  y: number[],
  options: LowerOptions,
): Case {
  const tensor = (shape: readonly number[], scale: number): FloatTensor => ({
    shape,
    data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() * 2 - 1) * scale),
  });
  const graph: FloatGraph = {
    name: 'pointwise',
    inputs: [{ name: 'x', shape: x }],
    outputs: ['y'],
    nodes: [node],
    constants: new Map([
      ['w', tensor(w, 0.02 + rng.next() * 0.5)],
      ['b', tensor([w[0]!], rng.next())],
    ]),
    shapes: new Map<string, readonly number[]>([
      ['x', x],
      ['y', y],
    ]),
  };
  const samples = Array.from({ length: 3 }, () => tensor(x, 1 + rng.next() * 3).data);
  return { graph, samples, options };
}

const lower = ({ graph, samples, options }: Case, convSplit?: ConvSplit): Model =>
  createModel(
    lowerToIntegerGraph(
      graph,
      calibrate(
        graph,
        samples.map((s) => [s]),
      ),
      { ...options, convSplit },
    ),
    'pointwise',
  );

/** A random pointwise Conv: channels, planes, dtypes, bias and output frac drawn from `seed`. */
function randomPointwise(seed: number): Case {
  const rng = new Random(seed);
  const [n, c, o, h, wd] = [
    rng.pick([1, 2]),
    rng.pick([2, 5, 16, 40]),
    rng.pick([1, 3, 8, 24]),
    rng.pick([1, 3, 7]),
    rng.pick([1, 4, 9, 17]),
  ];
  const activationDtype = rng.pick(['i8', 'i16'] as const);
  const inputs = rng.next() < 0.7 ? ['x', 'w', 'b'] : ['x', 'w'];
  // An output frac from 2 under to 2 over what the calibration would give: some saturate.
  const yFrac = (activationDtype === 'i8' ? 4 : 12) + rng.int(-4, 2);
  return convCase(
    rng,
    floatNode('Conv', inputs, 'y', { kernel_shape: [1, 1] }),
    [n, c, h, wd],
    [o, c, 1, 1],
    [n, o, h, wd],
    {
      activationDtype,
      convWeightDtype: rng.pick(['i8', 'i16'] as const),
      fracs: new Map([['y', yFrac]]),
      headroomBits: rng.int(0, 1),
    },
  );
}

async function expectBackendsEqualReference(model: Model, inputs: IntTensor[], label: string) {
  const reference = run(model, inputs, { keepIntermediates: true });
  const traced = await createOnnxRuntimeBackend(model, { log: () => {} });
  const hot = await createHotPathBackend(model, { log: () => {} });
  try {
    expect(traced.fallbackSteps, label).toEqual([]);
    expect(hot.fallbackSteps, label).toEqual([]);
    const { values } = await traced.run(inputs);
    reference.values!.forEach((v, k) => {
      expect(Array.from(values[k]!), `${label} traced value ${k}`).toEqual(Array.from(v!));
    });
    const outputs = await hot.run(inputs);
    expect(Array.from(outputs[0]!.data), `${label} hot path`).toEqual(Array.from(reference.outputs[0]!.data));
  } finally {
    await Promise.all([traced.close(), hot.close()]);
  }
}

describe("the importer's channels-last pointwise Convs (ConvSplit.pointwise)", () => {
  it("lowers a pointwise Conv the split would cut to Transpose → MatMul → Transpose, the plain Conv's integers, on the reference and onnxruntime's traced and hot paths", async () => {
    for (let seed = 1; seed <= 16; seed++) {
      const c = randomPointwise(seed);
      const [plain, rewritten] = [lower(c), lower(c, CHANNELS_LAST)];
      const label = `seed ${seed}`;
      expect(plain.graph.edgeOps, label).toEqual(['Conv']);
      expect(rewritten.graph.edgeOps, label).toEqual(['Transpose', 'MatMul', 'Transpose']);
      expect(rewritten.graph.edgeNames, label).toEqual(['y.nhwc', 'y.matmul', 'y']);
      // The same weights and bias: integers, dtype and per-output-channel fracs.
      const [conv, matmul] = [edgeInputsOf(plain.graph, 0), edgeInputsOf(rewritten.graph, 1)];
      expect(matmul.length, label).toBe(conv.length);
      for (let k = 1; k < conv.length; k++) {
        const [before, after] = [conv[k]!, matmul[k]!];
        expect(rewritten.graph.params.get(after), label).toEqual(plain.graph.params.get(before));
        const [a, b] = [plain.graph.nodeTypes[before]!, rewritten.graph.nodeTypes[after]!];
        expect([b.dtype, b.frac], label).toEqual([a.dtype, a.frac]);
      }
      expect(rewritten.graph.nodeTypes.at(-1), label).toEqual(plain.graph.nodeTypes.at(-1));
      for (const [i, x] of c.samples.entries()) {
        const inputs = [quantizeInput(plain.graph, 0, x)];
        const expected = run(plain, inputs).outputs[0]!;
        expect(Array.from(run(rewritten, inputs).outputs[0]!.data), `${label} sample ${i}`).toEqual(
          Array.from(expected.data),
        );
        if (i > 0) continue;
        await expectBackendsEqualReference(rewritten, inputs, label);
        // What a one-step re-executes: every tile of the MatMul over 4-D input equals its whole op.
        if (seed <= 4)
          expectTilesEqualWholeOps(
            rewritten,
            run(rewritten, inputs, { keepIntermediates: true }).values!,
            label,
          );
      }
    }
  });

  it('leaves other Convs as the split has them: wider kernels, strides and pads in links, groups and small inputs whole', () => {
    const rng = new Random(7);
    const edgeOps = (attrs: FloatNode['attrs'], w: number[], y: number[], split: ConvSplit = CHANNELS_LAST) =>
      lower(
        convCase(rng, floatNode('Conv', ['x', 'w', 'b'], 'y', attrs), [1, 4, 6, 6], w, y, {
          activationDtype: 'i16',
        }),
        split,
      ).graph.edgeOps;
    const links = Array(4).fill('ConvAccumulate');
    expect(edgeOps({ kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, [2, 4, 3, 3], [1, 2, 6, 6])).toEqual(links);
    expect(edgeOps({ kernel_shape: [1, 3] }, [2, 4, 1, 3], [1, 2, 6, 4])).toEqual(links);
    expect(edgeOps({ kernel_shape: [1, 1], strides: [2, 2] }, [2, 4, 1, 1], [1, 2, 3, 3])).toEqual(links);
    expect(edgeOps({ kernel_shape: [1, 1], pads: [1, 1, 1, 1] }, [2, 4, 1, 1], [1, 2, 8, 8])).toEqual(links);
    expect(edgeOps({ kernel_shape: [1, 1], group: 2 }, [2, 2, 1, 1], [1, 2, 6, 6])).toEqual(['Conv']);
    // Under the split's minimum input the pointwise Conv stays whole; without the option it is cut.
    const pointwise = (split: ConvSplit) =>
      edgeOps({ kernel_shape: [1, 1] }, [2, 4, 1, 1], [1, 2, 6, 6], split);
    expect(pointwise(CHANNELS_LAST)).toEqual(['Transpose', 'MatMul', 'Transpose']);
    expect(pointwise({ ...CHANNELS_LAST, minInputBytes: 4 * 36 * 2 })).toEqual(['Conv']);
    expect(pointwise({ channels: 1 })).toEqual(links);
    expect(pointwise({ channels: 1, pointwise: 'links' })).toEqual(links);
  });
});
