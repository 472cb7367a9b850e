import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import { run } from '../interpreter.js';
import { createModel } from '../model.js';
import { geluFixed } from './gelu.js';

const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

describe('Gelu integer semantics', () => {
  it('stays within 2^-(fo+1) + 2^-13 of tanh-GELU for every i16 input', () => {
    for (const fi of [6, 14]) {
      for (const fo of [8, 13]) {
        let worst = 0;
        for (let x = -32768; x <= 32767; x++) {
          const y = geluFixed(x, fi, fo, 'i32') / 2 ** fo;
          worst = Math.max(worst, Math.abs(y - geluTanh(x / 2 ** fi)));
        }
        expect(worst, `fi ${fi}, fo ${fo}`).toBeLessThanOrEqual(2 ** -(fo + 1) + 2 ** -13);
      }
    }
  });
});

function single(
  op: string,
  inputs: { shape: number[]; frac: number; dtype?: 'i16' | 'i8' }[],
  out: { frac: number },
) {
  const b = new GraphBuilder();
  const ids = inputs.map((t, i) =>
    b.input(`x${i}`, { dtype: t.dtype ?? 'i16', shape: t.shape, frac: t.frac }),
  );
  b.output(b.op(op, ids, { name: op, dtype: 'i16', frac: out.frac }));
  return createModel(b.build(), op);
}

describe('CausalSoftmax', () => {
  it('zeroes later keys and equals a softmax over each row’s visible prefix', () => {
    const model = single('CausalSoftmax', [{ shape: [1, 3, 3], frac: 8 }], { frac: 15 });
    const x = Int32Array.from([100, 900, -300, 50, -20, 700, 10, 10, 10]);
    const y = run(model, [{ dtype: 'i16', shape: [1, 3, 3], data: x }]).outputs[0]!.data;
    expect(Array.from(y.subarray(0, 3))).toEqual([32767, 0, 0]); // 1.0 saturates at i16 frac 15
    expect(y[2]).toBe(0);
    expect(y[5]).toBe(0);
    const p = Math.exp(50 / 256) / (Math.exp(50 / 256) + Math.exp(-20 / 256));
    expect(Math.abs(y[3]! / 2 ** 15 - p)).toBeLessThan(2e-4);
    expect(Math.abs(y[6]! - 32768 / 3)).toBeLessThan(3);
  });
});

describe('Gather', () => {
  it('copies table rows by integer ids and names an id out of range', () => {
    const b = new GraphBuilder();
    const table = b.param('table', { dtype: 'i16', shape: [3, 2], frac: 4 }, [1, 2, 3, 4, 5, 6]);
    const ids = b.input('ids', { dtype: 'i16', shape: [1, 4], frac: 0 });
    b.output(b.op('Gather', [table, ids], { name: 'gather', dtype: 'i16', frac: 4 }));
    const model = createModel(b.build(), 'gather');
    const out = run(model, [{ dtype: 'i16', shape: [1, 4], data: Int32Array.from([2, 0, 0, 1]) }])
      .outputs[0]!;
    expect(out.shape).toEqual([1, 4, 2]);
    expect(Array.from(out.data)).toEqual([5, 6, 1, 2, 1, 2, 3, 4]);
    expect(() => run(model, [{ dtype: 'i16', shape: [1, 4], data: Int32Array.from([0, 3, 0, 0]) }])).toThrow(
      /Gather: index 3 at position 1 is outside \[0, 3\)/,
    );
  });
});
