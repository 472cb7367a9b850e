import { describe, expect, it } from 'vitest';
import { dequantizeOutput, quantizeInput } from '../boundary.js';
import { toHex } from '../commit/hash.js';
import { decodeModel, encodeModel, modelId } from '../encoding/codec.js';
import { run } from '../interpreter.js';
import { expectIrError } from '../testing/expect-ir-error.js';
import { Random } from '../testing/random.js';
import { runFloatGraph } from './float-exec.js';
import { floatGraphFromOnnx } from './from-onnx.js';
import { importOnnx, importOnnxFloat } from './import.js';
import { readOnnx } from './read.js';
import { type OnnxModelSpec, writeOnnx } from './write.js';

const rng = new Random(11);
const randn = (n: number, scale: number) => Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
const init = (name: string, shape: number[], scale: number) => ({
  name,
  shape,
  data: randn(
    shape.reduce((a, b) => a * b, 1),
    scale,
  ),
});

/** A small CNN touching Conv, BatchNormalization, Relu, MaxPool, Flatten, Gemm and Softmax. */
function cnnSpec(): OnnxModelSpec {
  return {
    name: 'tiny-cnn',
    inputs: [{ name: 'input', shape: ['N', 1, 8, 8] }],
    outputs: [{ name: 'probs', shape: ['N', 5] }],
    initializers: [
      init('conv.w', [4, 1, 3, 3], 0.5),
      init('conv.b', [4], 0.1),
      { name: 'bn.scale', shape: [4], data: [1.2, 0.8, 1.0, 0.5] },
      { name: 'bn.bias', shape: [4], data: [0.1, -0.2, 0.0, 0.3] },
      { name: 'bn.mean', shape: [4], data: [0.05, -0.1, 0.2, 0.0] },
      { name: 'bn.var', shape: [4], data: [0.5, 1.5, 0.9, 2.0] },
      init('fc.w', [5, 64], 0.3),
      init('fc.b', [5], 0.1),
    ],
    nodes: [
      {
        op: 'Conv',
        name: 'conv',
        inputs: ['input', 'conv.w', 'conv.b'],
        outputs: ['c'],
        attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
      },
      {
        op: 'BatchNormalization',
        name: 'bn',
        inputs: ['c', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'],
        outputs: ['b'],
        attrs: { epsilon: { float: 1e-5 } },
      },
      { op: 'Relu', name: 'relu', inputs: ['b'], outputs: ['r'] },
      {
        op: 'MaxPool',
        name: 'pool',
        inputs: ['r'],
        outputs: ['p'],
        attrs: { kernel_shape: [2, 2], strides: [2, 2] },
      },
      { op: 'Flatten', name: 'flatten', inputs: ['p'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fc.w', 'fc.b'], outputs: ['logits'], attrs: { transB: 1 } },
      { op: 'Softmax', name: 'softmax', inputs: ['logits'], outputs: ['probs'], attrs: { axis: -1 } },
    ],
  };
}

const samples = (count: number, size: number) =>
  Array.from({ length: count }, () => [randn(size, 1).map(Math.abs)]);

describe('ONNX import', () => {
  const bytes = writeOnnx(cnnSpec());
  const calibration = samples(20, 64);

  it('folds BatchNormalization into the Conv without changing the float function', () => {
    const unfolded = floatGraphFromOnnx(readOnnx(bytes));
    const folded = importOnnxFloat(bytes);
    expect(unfolded.nodes.map((n) => n.op)).toContain('BatchNormalization');
    expect(folded.nodes.map((n) => n.op)).not.toContain('BatchNormalization');
    for (const [sample] of calibration.slice(0, 5)) {
      const a = runFloatGraph(unfolded, [sample!]).get('probs')!.data;
      const b = runFloatGraph(folded, [sample!]).get('probs')!.data;
      for (const [i, v] of a.entries()) expect(b[i]).toBeCloseTo(v, 9);
    }
  });

  it('gives the same modelId on every import of the same file, in a different order of work', () => {
    const first = importOnnx(bytes, { calibration });
    const second = importOnnx(Uint8Array.from(bytes), {
      calibration: calibration.map((s) => [Float64Array.from(s[0]!)]),
    });
    expect(toHex(modelId(second.model))).toBe(toHex(modelId(first.model)));
    expect(toHex(modelId(decodeModel(encodeModel(first.model))))).toBe(toHex(modelId(first.model)));
  });

  it('keeps the integer model close to the float model', () => {
    const { model, floatGraph } = importOnnx(bytes, { calibration });
    let worst = 0;
    for (const [sample] of samples(30, 64)) {
      const expected = runFloatGraph(floatGraph, [sample!]).get('probs')!.data;
      const out = run(model, [quantizeInput(model.graph, 0, sample!)]).outputs[0]!;
      const actual = dequantizeOutput(model.graph, 0, out);
      actual.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - expected[i]!));
      });
    }
    expect(worst).toBeLessThan(0.08);
  });

  it('gives values listed in activationDtypes their dtype, and headroomBits lowers every activation frac', () => {
    const plain = importOnnx(bytes, { calibration }).model.graph;
    const mixed = importOnnx(bytes, {
      calibration,
      activationDtypes: new Map([['logits', 'i16']]),
      headroomBits: 1,
    }).model.graph;
    const typeOf = (g: typeof plain, name: string) => g.nodeTypes[g.nodeNames.indexOf(name)]!;
    expect(typeOf(mixed, 'fc').dtype).toBe('i16');
    expect(typeOf(mixed, 'conv+bn').dtype).toBe('i8');
    expect(typeOf(mixed, 'conv+bn').frac).toBe((typeOf(plain, 'conv+bn').frac as number) - 1);
    // i16 logits keep 8 more bits, less the one of headroom.
    expect(typeOf(mixed, 'fc').frac).toBe((typeOf(plain, 'fc').frac as number) + 7);
  });

  it('imports every supported op type', () => {
    const spec: OnnxModelSpec = {
      name: 'all-ops',
      inputs: [{ name: 'x', shape: [1, 2, 6, 6] }],
      outputs: [{ name: 'out', shape: [1, 3] }],
      initializers: [
        init('w', [3, 2, 3, 3], 0.4),
        init('k', [3, 1, 1], 0.5),
        init('s', [3, 1, 1], 0.8),
        { name: 'bn.scale', shape: [3], data: [1, 2, 0.5] },
        { name: 'bn.bias', shape: [3], data: [0, 0.1, -0.1] },
        { name: 'bn.mean', shape: [3], data: [0, 0.1, 0] },
        { name: 'bn.var', shape: [3], data: [1, 2, 0.5] },
        { name: 'shape', shape: [2], data: [1, -1] },
        init('m', [24, 3], 0.3),
      ],
      nodes: [
        {
          op: 'Conv',
          name: 'conv',
          inputs: ['x', 'w'],
          outputs: ['c'],
          attrs: { kernel_shape: [3, 3], strides: [1, 1] },
        },
        { op: 'Add', name: 'add', inputs: ['c', 'k'], outputs: ['a'] },
        { op: 'Mul', name: 'mul', inputs: ['a', 's'], outputs: ['m1'] },
        { op: 'Sub', name: 'sub', inputs: ['m1', 'c'], outputs: ['d'] },
        { op: 'Identity', name: 'id', inputs: ['d'], outputs: ['d2'] },
        {
          op: 'BatchNormalization',
          name: 'bn',
          inputs: ['d2', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'],
          outputs: ['n'],
        },
        { op: 'Tanh', name: 'tanh', inputs: ['n'], outputs: ['t'] },
        { op: 'Concat', name: 'cat', inputs: ['t', 'n'], outputs: ['cc'], attrs: { axis: 1 } },
        {
          op: 'AveragePool',
          name: 'avg',
          inputs: ['cc'],
          outputs: ['ap'],
          attrs: { kernel_shape: [2, 2], strides: [2, 2] },
        },
        { op: 'Sigmoid', name: 'sig', inputs: ['ap'], outputs: ['sg'] },
        { op: 'Transpose', name: 'tr', inputs: ['sg'], outputs: ['tt'], attrs: { perm: [0, 1, 3, 2] } },
        { op: 'GlobalAveragePool', name: 'gap', inputs: ['tt'], outputs: ['g'] },
        { op: 'Reshape', name: 'reshape', inputs: ['tt', 'shape'], outputs: ['flat'] },
        { op: 'MatMul', name: 'mm', inputs: ['flat', 'm'], outputs: ['mo'] },
        { op: 'Relu', name: 'relu', inputs: ['mo'], outputs: ['out'] },
        { op: 'Dropout', name: 'drop', inputs: ['g'], outputs: ['unused'] },
      ],
    };
    const { model, floatGraph } = importOnnx(writeOnnx(spec), { calibration: samples(10, 72) });
    expect(new Set(model.graph.edgeOps)).toEqual(
      new Set([
        'Conv',
        'Add',
        'Mul',
        'Sub',
        'Tanh',
        'AveragePool',
        'Sigmoid',
        'Concat',
        'Requantize',
        'Transpose',
        'Reshape',
        'MatMul',
        'Relu',
        'GlobalAveragePool',
      ]),
    );
    const [sample] = samples(1, 72)[0]!;
    const expected = runFloatGraph(floatGraph, [sample!]).get('out')!.data;
    const actual = dequantizeOutput(
      model.graph,
      0,
      run(model, [quantizeInput(model.graph, 0, sample!)]).outputs[0]!,
    );
    for (const [i, v] of actual.entries()) expect(Math.abs(v - expected[i]!)).toBeLessThan(0.15);
  });
});

describe('ONNX import errors', () => {
  const bytes = writeOnnx(cnnSpec());

  it('names the byte offset of a truncated file', () => {
    const error = expectIrError(() =>
      importOnnxFloat(bytes.subarray(0, bytes.length - 100), { label: 'tiny.onnx' }),
    );
    expect(error.code).toBe('ONNX_CORRUPT');
    expect(error.message).toMatch(/tiny\.onnx .*at byte \d+/);
    expect(
      expectIrError(() => importOnnxFloat(new Uint8Array(0), { label: 'empty.onnx' })).message,
    ).toContain('empty.onnx is empty');
    expect(
      expectIrError(() => importOnnxFloat(new TextEncoder().encode('hello, this is not onnx'))).code,
    ).toBe('ONNX_CORRUPT');
  });

  it('names the op type and node of unsupported ops', () => {
    const spec = cnnSpec();
    const withLstm = {
      ...spec,
      nodes: [...spec.nodes, { op: 'LSTM', name: 'rnn1', inputs: ['probs'], outputs: ['h'] }],
    };
    const error = expectIrError(() => importOnnxFloat(writeOnnx(withLstm)));
    expect(error.code).toBe('ONNX_UNSUPPORTED_OP');
    expect(error.message).toContain("'LSTM' (first at node 'rnn1')");
    const custom = {
      ...spec,
      nodes: [
        ...spec.nodes,
        { op: 'Relu', name: 'mine', domain: 'com.example', inputs: ['probs'], outputs: ['h'] },
      ],
    };
    expect(expectIrError(() => importOnnxFloat(writeOnnx(custom))).message).toContain(
      "'com.example.Relu' (first at node 'mine')",
    );
  });

  it('names the input and dimension of an unresolvable dynamic shape', () => {
    const spec = { ...cnnSpec(), inputs: [{ name: 'input', shape: ['N', 1, 'H', 8] }] };
    const error = expectIrError(() => importOnnxFloat(writeOnnx(spec)));
    expect(error.code).toBe('ONNX_DYNAMIC_SHAPE');
    expect(error.message).toContain("graph input 'input' dimension 2 ('H')");
    expect(importOnnxFloat(writeOnnx(spec), { dims: { H: 8 }, batchSize: 3 }).inputs[0]!.shape).toEqual([
      3, 1, 8, 8,
    ]);
  });

  it('names the node whose shapes do not fit', () => {
    const spec = cnnSpec();
    const bad = {
      ...spec,
      initializers: spec.initializers.map((t) => (t.name === 'fc.w' ? init('fc.w', [5, 63], 1) : t)),
    };
    const error = expectIrError(() => importOnnxFloat(writeOnnx(bad)));
    expect(error.message).toContain("node 'fc' (Gemm): inner dimensions differ");
  });
});
