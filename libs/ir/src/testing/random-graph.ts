import { type DType, dtypeInfo } from '../dtype.js';
import { GraphBuilder } from '../graph/builder.js';
import { frac as fracOf } from '../graph/types.js';
import { createModel, type Model } from '../model.js';
import { type IntTensor, sizeOf } from '../tensor.js';
import { Random } from './random.js';

/**
 * Random well-typed integer graphs over the whole op set: random shapes, op chains, scales
 * (some saturating), per-channel weights and biases. For property tests of every backend.
 */
export interface RandomGraphCase {
  readonly model: Model;
  readonly inputs: IntTensor[];
}

const MAX_STEPS = 7;

export function randomGraph(seed: number): RandomGraphCase {
  const rng = new Random(seed);
  const b = new GraphBuilder();
  const act: DType = rng.next() < 0.8 ? 'i8' : 'i16';
  const actMax = dtypeInfo(act).max;
  const spatial = rng.next() < 0.6;
  const shape = spatial
    ? [rng.int(1, 2), rng.int(1, 4), rng.int(3, 9), rng.int(3, 9)]
    : [rng.int(1, 3), rng.int(2, 24)];
  let x = b.input('x', { dtype: act, shape, frac: rng.int(0, 6) });
  const seen: number[] = [x];
  const rf = () => rng.int(-2, 8);
  let params = 0;
  const param = (
    shape: number[],
    dtype: DType,
    frac: number | { axis: number; fracs: number[] },
    lo: number,
    hi: number,
  ) => b.param(`p${params++}`, { dtype, shape, frac }, rng.ints(sizeOf(shape), lo, hi));
  // Keep accumulators within int32: weights are narrowed as the reduction grows.
  const weightMax = (reduction: number, inMax: number) =>
    Math.max(1, Math.min(127, Math.floor(2 ** 30 / (reduction * inMax + 1))));

  const steps = rng.int(1, MAX_STEPS);
  for (let s = 0; s < steps; s++) {
    const t = b.typeOf(x);
    const f = fracOf(t);
    const inMax = -dtypeInfo(t.dtype).min;
    const rank = t.shape.length;
    const choices =
      rank === 4
        ? [
            'Conv',
            'Conv',
            'MaxPool',
            'AveragePool',
            'GlobalAveragePool',
            'Relu',
            'Add',
            'Sub',
            'Mul',
            'Requantize',
            'Transpose',
            'Flatten',
            'Concat',
            'Sigmoid',
            'Tanh',
          ]
        : [
            'MatMul',
            'MatMul',
            'Relu',
            'Add',
            'Sub',
            'Mul',
            'Requantize',
            'Softmax',
            'Sigmoid',
            'Tanh',
            'Transpose',
            'Concat',
          ];
    const op = rng.pick(choices);
    const out = { dtype: act, frac: rf() };
    switch (op) {
      case 'Conv': {
        const [, c, h, w] = t.shape as [number, number, number, number];
        const group = c > 1 && rng.next() < 0.3 ? c : 1;
        const o = group === c && group > 1 ? c * rng.int(1, 2) : rng.int(1, 6);
        const k = rng.int(1, Math.min(3, h, w));
        const cg = c / group;
        const wMax = weightMax(cg * k * k, inMax);
        const fracs = Array.from({ length: o }, () => rng.int(0, 7));
        const weights = param([o, cg, k, k], 'i8', { axis: 0, fracs }, -wMax, wMax);
        const inputs = [x, weights];
        if (rng.next() < 0.7)
          inputs.push(param([o], 'i32', { axis: 0, fracs: fracs.map((wf) => wf + f) }, -5000, 5000));
        x = b.op('Conv', inputs, {
          ...out,
          attrs: {
            strides: [rng.int(1, 2), rng.int(1, 2)],
            pads: [rng.int(0, 1), rng.int(0, 1), rng.int(0, 1), rng.int(0, 1)],
            group,
          },
        });
        break;
      }
      case 'MatMul': {
        const k = t.shape.at(-1)!;
        const n = rng.int(1, 16);
        const wMax = weightMax(k, inMax);
        const perChannel = rng.next() < 0.5;
        const fracs = Array.from({ length: n }, () => rng.int(0, 7));
        const weights = param([n, k], 'i8', perChannel ? { axis: 0, fracs } : fracs[0]!, -wMax, wMax);
        const inputs = [x, weights];
        if (rng.next() < 0.7) {
          inputs.push(
            param(
              [n],
              'i32',
              perChannel ? { axis: 0, fracs: fracs.map((wf) => wf + f) } : fracs[0]! + f,
              -5000,
              5000,
            ),
          );
        }
        x = b.op('MatMul', inputs, out);
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const k = rng.int(1, Math.min(3, t.shape[2]!, t.shape[3]!));
        const pad = k > 1 ? rng.int(0, 1) : 0;
        const attrs: Record<string, unknown> = {
          kernel_shape: [k, k],
          strides: [rng.int(1, 2), rng.int(1, 2)],
          pads: [pad, pad, pad, pad],
        };
        if (op === 'AveragePool') attrs.count_include_pad = rng.int(0, 1);
        x = b.op(op, [x], { attrs });
        break;
      }
      case 'GlobalAveragePool':
      case 'Relu':
        x = b.op(op, [x]);
        break;
      case 'Add':
      case 'Sub':
      case 'Mul': {
        const sameShape = seen.filter(
          (n) => b.typeOf(n).shape.join() === t.shape.join() && b.typeOf(n).dtype === act,
        );
        const other =
          rng.next() < 0.5 && sameShape.length > 0
            ? rng.pick(sameShape)
            : param(rank === 4 ? [t.shape[1]!, 1, 1] : [t.shape.at(-1)!], 'i16', rng.int(2, 12), -3000, 3000);
        x = b.op(op, rng.next() < 0.5 ? [x, other] : [other, x], out);
        break;
      }
      case 'Requantize':
        x = b.op('Requantize', [x], { dtype: rng.pick<DType>(['i8', 'i16']), frac: rf() });
        break;
      case 'Transpose': {
        const perm = [...t.shape.keys()].sort(() => rng.next() - 0.5);
        x = b.op('Transpose', [x], { attrs: { perm } });
        break;
      }
      case 'Flatten':
        x = b.op('Reshape', [x], { attrs: { shape: [t.shape[0]!, sizeOf(t.shape) / t.shape[0]!] } });
        break;
      case 'Concat': {
        const axis = rng.int(0, rank - 1);
        x = b.op('Concat', rng.next() < 0.5 ? [x, x] : [x], { attrs: { axis } });
        break;
      }
      case 'Softmax':
      case 'Sigmoid':
      case 'Tanh':
        x = b.op(op, [x], { dtype: act, frac: rng.int(3, actMax > 127 ? 14 : 7) });
        break;
    }
    seen.push(x);
  }
  b.output(x);
  const model = createModel(b.build(), `random-${seed}`);
  const inputs = [
    { dtype: act, shape, data: rng.ints(sizeOf(shape), dtypeInfo(act).min, dtypeInfo(act).max) },
  ];
  return { model, inputs };
}
