import { describe, expect, it } from 'vitest';
import { expectIrError } from '../testing/expect-ir-error.js';
import { GraphBuilder } from './builder.js';
import { validateGraph } from './validate.js';

describe('GraphBuilder type checking', () => {
  it('rejects a MatMul whose inner dimensions differ, naming the edge, the op and both shapes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [1, 784], frac: 6 });
    const w = b.param('w', { dtype: 'i8', shape: [10, 128], frac: 5 }, new Int32Array(1280));
    const error = expectIrError(() => b.op('MatMul', [x, w], { name: 'fc1' }));
    expect(error.code).toBe('TYPE_MISMATCH');
    expect(error.message).toContain("edge 0 'fc1' (MatMul)");
    expect(error.message).toContain('[1,784]');
    expect(error.message).toContain('[10,128]');
  });

  it('rejects broadcast failures, unknown ops and unknown attributes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [2, 3], frac: 4 });
    const y = b.input('y', { dtype: 'i8', shape: [4], frac: 4 });
    expect(expectIrError(() => b.op('Add', [x, y], { name: 'sum' })).message).toMatch(
      /'sum' \(Add\).*do not broadcast/,
    );
    expect(expectIrError(() => b.op('NoSuchOp', [x])).message).toMatch(/NoSuchOp.*unknown op/);
    expect(expectIrError(() => b.op('Relu', [x], { attrs: { alpha: 1 } })).message).toContain(
      "unknown attribute 'alpha'",
    );
    expect(expectIrError(() => b.op('Transpose', [x], { attrs: { perm: [0, 0] } })).message).toContain(
      'not a permutation',
    );
  });

  it('rejects a Relu that would change the scale and a bias at the wrong scale', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [1, 4], frac: 4 });
    expect(expectIrError(() => b.op('Relu', [x], { frac: 3 })).message).toContain(
      'must equal the input type',
    );
    const w = b.param('w', { dtype: 'i8', shape: [2, 4], frac: 5 }, new Int32Array(8));
    const bias = b.param('b', { dtype: 'i32', shape: [2], frac: 8 }, new Int32Array(2));
    expect(expectIrError(() => b.op('MatMul', [x, w, bias], { frac: 3 })).message).toContain(
      'must be input frac + weight frac = 9',
    );
  });

  it('rejects weights whose int32 accumulator could overflow', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i16', shape: [1, 4096], frac: 4 });
    const w = b.param('w', { dtype: 'i8', shape: [1, 4096], frac: 5 }, new Int32Array(4096).fill(127));
    expect(expectIrError(() => b.op('MatMul', [x, w])).message).toMatch(
      /int32 accumulator of output channel 0 may reach/,
    );
  });

  it('rejects malformed tensor types and parameters', () => {
    const b = new GraphBuilder();
    expect(expectIrError(() => b.input('x', { dtype: 'i8', shape: [0, 3], frac: 4 })).message).toContain(
      "node 'x'",
    );
    expect(expectIrError(() => b.input('y', { dtype: 'i8', shape: [2], frac: 40 })).message).toContain(
      'frac 40',
    );
    expect(
      expectIrError(() => b.param('w', { dtype: 'i8', shape: [2, 2], frac: 1 }, [1, 2, 3])).message,
    ).toContain("parameter 'w' has 3 values");
  });

  it('reports every structural problem of a hand-made graph at once', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [1, 4], frac: 4 });
    b.output(b.op('Relu', [x], { name: 'r' }));
    const graph = b.build();
    const broken = { ...graph, outputs: Uint32Array.of(7), edgeOps: ['Nope'] };
    const error = expectIrError(() => validateGraph(broken));
    expect(error.message).toContain('graph output refers to node 7');
    const unknown = expectIrError(() => validateGraph({ ...graph, edgeOps: ['Nope'] }));
    expect(unknown.message).toContain("edge 0 'r' (Nope): unknown op 'Nope'");
  });
});
