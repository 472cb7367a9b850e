import { createModel, GraphBuilder, type IntTensor, run } from '@stoa/ir';
import { formatRate, printTable, timePerCall } from './measure.js';

/**
 * Reference interpreter throughput in multiply-accumulates per second, against a plain float32
 * loop over the same shapes measured in the same process.
 */
interface Case {
  readonly name: string;
  readonly macs: number;
  readonly integer: () => void;
  readonly float: () => void;
}

const fill = (n: number, seed: number) =>
  Int32Array.from({ length: n }, (_, i) => (((i * 2654435761 + seed) >>> 0) % 15) - 7);

function matmulCase(m: number, k: number, n: number): Case {
  const b = new GraphBuilder();
  const x = b.input('x', { dtype: 'i8', shape: [m, k], frac: 4 });
  const w = b.param('w', { dtype: 'i8', shape: [n, k], frac: 6 }, fill(n * k, 1));
  b.output(b.op('MatMul', [x, w], { frac: 3 }));
  const model = createModel(b.build(), 'bench-matmul');
  const input: IntTensor = { dtype: 'i8', shape: [m, k], data: fill(m * k, 2) };
  const xf = Float32Array.from(input.data);
  const wf = Float32Array.from(model.graph.params.get(1)!);
  const out = new Float32Array(m * n);
  return {
    name: `MatMul ${m}x${k} · ${k}x${n}`,
    macs: m * k * n,
    integer: () => run(model, [input]),
    float: () => {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let t = 0; t < k; t++) acc += xf[i * k + t]! * wf[j * k + t]!;
          out[i * n + j] = acc;
        }
      }
    },
  };
}

function convCase(c: number, h: number, o: number, k: number): Case {
  const b = new GraphBuilder();
  const x = b.input('x', { dtype: 'i8', shape: [1, c, h, h], frac: 4 });
  const w = b.param('w', { dtype: 'i8', shape: [o, c, k, k], frac: 6 }, fill(o * c * k * k, 3));
  const pad = (k - 1) / 2;
  b.output(b.op('Conv', [x, w], { frac: 3, attrs: { pads: [pad, pad, pad, pad] } }));
  const model = createModel(b.build(), 'bench-conv');
  const input: IntTensor = { dtype: 'i8', shape: [1, c, h, h], data: fill(c * h * h, 4) };
  const xf = Float32Array.from(input.data);
  const wf = Float32Array.from(model.graph.params.get(1)!);
  const out = new Float32Array(o * h * h);
  return {
    name: `Conv ${c}→${o} ${k}x${k} on ${h}x${h}`,
    macs: o * h * h * c * k * k,
    integer: () => run(model, [input]),
    float: () => {
      let idx = 0;
      for (let oc = 0; oc < o; oc++) {
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < h; j++) {
            let acc = 0;
            for (let ci = 0; ci < c; ci++) {
              for (let u = 0; u < k; u++) {
                const y = i + u - pad;
                if (y < 0 || y >= h) continue;
                for (let v = 0; v < k; v++) {
                  const xx = j + v - pad;
                  if (xx < 0 || xx >= h) continue;
                  acc += xf[(ci * h + y) * h + xx]! * wf[((oc * c + ci) * k + u) * k + v]!;
                }
              }
            }
            out[idx++] = acc;
          }
        }
      }
    },
  };
}

export function interpreterThroughput(): void {
  console.log('Reference interpreter vs a plain float32 loop over the same shapes (same process)\n');
  const cases = [
    matmulCase(1, 784, 128),
    matmulCase(32, 784, 128),
    convCase(8, 28, 16, 3),
    convCase(16, 14, 32, 3),
  ];
  const rows = cases.map((c) => {
    const intMs = timePerCall(c.integer);
    const floatMs = timePerCall(c.float);
    return {
      shape: c.name,
      MACs: c.macs,
      'interpreter MAC/s': formatRate(c.macs / (intMs / 1000)),
      'float32 loop MAC/s': formatRate(c.macs / (floatMs / 1000)),
      'interpreter / float32': (floatMs / intMs).toFixed(3),
    };
  });
  printTable(rows);
  console.log('\nratio = float32 time / interpreter time (1.0 = as fast as the float loop; lower = slower)');
}
