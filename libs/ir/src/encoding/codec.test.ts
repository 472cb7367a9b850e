import { describe, expect, it } from 'vitest';
import { toHex } from '../commit/hash.js';
import { IrError } from '../errors.js';
import { GraphBuilder } from '../graph/builder.js';
import { run } from '../interpreter.js';
import { createModel, type Model } from '../model.js';
import { randomGraph } from '../testing/random-graph.js';
import { decodeModel, encodeModel, modelId, weightsRoot } from './codec.js';

function mlp(weights: Int32Array, options: { hidden?: number; relu?: boolean } = {}): Model {
  const hidden = options.hidden ?? 8;
  const b = new GraphBuilder();
  const x = b.input('x', { dtype: 'i8', shape: [1, 16], frac: 5 });
  const w = b.param('w1', { dtype: 'i8', shape: [hidden, 16], frac: 6 }, weights.subarray(0, hidden * 16));
  let h = b.op('MatMul', [x, w], { name: 'fc1', frac: 4 });
  if (options.relu !== false) h = b.op('Relu', [h], { name: 'relu' });
  b.output(b.op('Softmax', [h], { name: 'softmax', frac: 7 }));
  return createModel(b.build(), 'mlp');
}

const WEIGHTS = Int32Array.from({ length: 256 }, (_, i) => ((i * 37) % 201) - 100);

describe('canonical encoding and content address', () => {
  it('round-trips every random graph and keeps its modelId and outputs', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { model, inputs } = randomGraph(seed);
      const decoded = decodeModel(encodeModel(model));
      expect(toHex(modelId(decoded))).toBe(toHex(modelId(model)));
      expect(encodeModel(decoded)).toEqual(encodeModel(model));
      expect(run(decoded, inputs).outputs[0]!.data).toEqual(run(model, inputs).outputs[0]!.data);
    }
  });

  it('gives the same modelId to two independent builds of the same model', () => {
    expect(toHex(modelId(mlp(WEIGHTS)))).toBe(toHex(modelId(mlp(Int32Array.from(WEIGHTS)))));
  });

  it('changes modelId and weightsRoot when one weight bit flips', () => {
    const flipped = Int32Array.from(WEIGHTS);
    flipped[37]! ^= 1;
    const a = mlp(WEIGHTS);
    const b = mlp(flipped);
    expect(toHex(weightsRoot(b))).not.toBe(toHex(weightsRoot(a)));
    expect(toHex(modelId(b))).not.toBe(toHex(modelId(a)));
  });

  it('changes modelId when a shape, an attribute, a scale or the schedule changes', () => {
    const base = mlp(WEIGHTS);
    const ids = new Set([toHex(modelId(base))]);
    ids.add(toHex(modelId(mlp(WEIGHTS, { hidden: 9 }))));
    ids.add(toHex(modelId(mlp(WEIGHTS, { relu: false }))));
    const attrChanged = {
      ...base.graph,
      edgeAttrs: base.graph.edgeAttrs.map((a, e) => (e === 2 ? { ...a, axis: 1 } : a)),
    };
    ids.add(toHex(modelId({ ...base, graph: attrChanged })));
    const scaleChanged = {
      ...base.graph,
      nodeTypes: base.graph.nodeTypes.map((t, n) => (n === 0 ? { ...t, frac: 4 } : t)),
    };
    ids.add(toHex(modelId({ ...base, graph: scaleChanged })));
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [4], frac: 3 });
    const r1 = b.op('Relu', [x]);
    const r2 = b.op('Relu', [x]);
    b.output(r1);
    b.output(r2);
    const twoBranches = createModel(b.build(), 'branches');
    ids.add(toHex(modelId(twoBranches)));
    ids.add(toHex(modelId({ ...twoBranches, schedule: Uint32Array.of(1, 0) })));
    expect(ids.size).toBe(7);
  });

  it('does not depend on names', () => {
    const model = mlp(WEIGHTS);
    const renamed = {
      ...model,
      name: 'other',
      graph: { ...model.graph, edgeNames: model.graph.edgeNames.map((n) => `${n}!`) },
    };
    expect(toHex(modelId(renamed))).toBe(toHex(modelId(model)));
  });

  it('rejects truncated, padded and mangled artifacts with the byte offset', () => {
    const bytes = encodeModel(mlp(WEIGHTS));
    for (const cut of [3, 20, 100, bytes.length - 1]) {
      const error = (() => {
        try {
          decodeModel(bytes.subarray(0, cut));
        } catch (e) {
          return e as IrError;
        }
      })();
      expect(error).toBeInstanceOf(IrError);
      expect(error!.code).toBe('ENCODING_CORRUPT');
      expect(error!.message).toMatch(/at byte \d+/);
    }
    expect(() => decodeModel(Uint8Array.of(...bytes, 0))).toThrow(/trailing bytes/);
    const wrongMagic = Uint8Array.from(bytes);
    wrongMagic[0] = 0x58;
    expect(() => decodeModel(wrongMagic)).toThrow(/not a Stoa model/);
  });
});
