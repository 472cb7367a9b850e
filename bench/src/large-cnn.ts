import { type OnnxNodeSpec, Random, writeOnnx } from '@stoa/ir';

/**
 * A larger CNN for benchmarks (≈ 82 MFLOPs per 3×64×64 image): three conv3x3+ReLU+maxpool
 * blocks (3→32→64→128) and two fully connected layers. He-initialized, seeded: the
 * benchmark measures speed, not accuracy, and needs no download.
 */
export const LARGE_CNN_INPUT = [3, 64, 64] as const;

export function largeCnnOnnx(seed = 1): Uint8Array {
  const rng = new Random(seed);
  const he = (fanIn: number, n: number) =>
    Array.from({ length: n }, () => (rng.next() * 2 - 1) * Math.sqrt(6 / fanIn));
  const conv = (name: string, cin: number, cout: number) => [
    { name: `${name}.w`, shape: [cout, cin, 3, 3], data: he(cin * 9, cout * cin * 9) },
    { name: `${name}.b`, shape: [cout], data: he(cin * 9, cout).map((v) => v * 0.1) },
  ];
  const block = (i: number, input: string): OnnxNodeSpec[] => [
    {
      op: 'Conv',
      name: `conv${i}`,
      inputs: [input, `conv${i}.w`, `conv${i}.b`],
      outputs: [`c${i}`],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    },
    { op: 'Relu', name: `relu${i}`, inputs: [`c${i}`], outputs: [`r${i}`] },
    {
      op: 'MaxPool',
      name: `pool${i}`,
      inputs: [`r${i}`],
      outputs: [`p${i}`],
      attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    },
  ];
  return writeOnnx({
    name: 'large-cnn',
    inputs: [{ name: 'input', shape: ['N', ...LARGE_CNN_INPUT] }],
    outputs: [{ name: 'logits', shape: ['N', 10] }],
    initializers: [
      ...conv('conv1', 3, 32),
      ...conv('conv2', 32, 64),
      ...conv('conv3', 64, 128),
      { name: 'fc1.w', shape: [256, 8192], data: he(8192, 256 * 8192) },
      { name: 'fc1.b', shape: [256], data: new Array(256).fill(0) },
      { name: 'fc2.w', shape: [10, 256], data: he(256, 2560) },
      { name: 'fc2.b', shape: [10], data: new Array(10).fill(0) },
    ],
    nodes: [
      ...block(1, 'input'),
      ...block(2, 'p1'),
      ...block(3, 'p2'),
      { op: 'Flatten', name: 'flatten', inputs: ['p3'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', name: 'fc1', inputs: ['f', 'fc1.w', 'fc1.b'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'Relu', name: 'relu_fc', inputs: ['h'], outputs: ['hr'] },
      {
        op: 'Gemm',
        name: 'fc2',
        inputs: ['hr', 'fc2.w', 'fc2.b'],
        outputs: ['logits'],
        attrs: { transB: 1 },
      },
    ],
  });
}

/** MACs per image, for the FLOP count printed next to the timings. */
export const LARGE_CNN_MACS =
  64 * 64 * 32 * 27 + 32 * 32 * 64 * 288 + 16 * 16 * 128 * 576 + 8192 * 256 + 256 * 10;
