import { writeOnnx } from '@stoa/ir';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { roundWeights } from './weight-precision.js';

/** One Conv, 2 output channels of 2 weights each, and one MatMul [2, 2]. */
function tinyModel(): Uint8Array {
  return writeOnnx({
    name: 'tiny',
    inputs: [{ name: 'x', shape: [1, 2, 1, 1] }],
    outputs: [{ name: 'z', shape: [1, 1, 1, 2] }],
    initializers: [
      { name: 'w', shape: [2, 2, 1, 1], data: [0.3, -0.01, 2.5, 0.123456] },
      { name: 'm', shape: [2, 2], data: [0.5, 0.1, 0.333333, 0.7] },
    ],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['y'] },
      { op: 'Reshape', name: 'flat', inputs: ['y', 's'], outputs: ['f'] },
      { op: 'MatMul', name: 'mm', inputs: ['f', 'm'], outputs: ['z'] },
    ],
  });
}

function weights(bytes: Uint8Array, name: string): number[] {
  const t = onnxProto.onnx.ModelProto.decode(bytes).graph!.initializer!.find((i) => i.name === name)!;
  return Array.from(new Float32Array(Uint8Array.from(t.rawData!).buffer));
}

describe('roundWeights', () => {
  it('rounds each conv output channel at its own power-of-two scale, as the importer does', () => {
    const { bytes, rounded } = roundWeights(tinyModel(), 8, ['conv']);
    expect(rounded).toEqual(['w [2, 2, 1, 1]']);
    // Channel 0: max 0.3 → frac 8 (0.3·256 = 76.8 ≤ 127); channel 1: max 2.5 → frac 5.
    const expected = [77 / 256, -3 / 256, 80 / 32, 4 / 32];
    const got = weights(bytes, 'w');
    for (const [i, v] of expected.entries()) expect(got[i]).toBeCloseTo(v, 6);
    expect(weights(bytes, 'm')).toEqual(weights(tinyModel(), 'm'));
  });

  it('scales MatMul weights per output column and leaves 16-bit weights nearly exact', () => {
    const { bytes } = roundWeights(tinyModel(), 16, ['matmul']);
    const before = weights(tinyModel(), 'm');
    const after = weights(bytes, 'm');
    // 0.333333 is not a multiple of 2^-15 (column 0's step): it moved, by less than a step.
    expect(after[2]).not.toBe(before[2]);
    for (const [i, v] of before.entries()) expect(Math.abs(after[i]! - v)).toBeLessThan(2 ** -15);
  });
});
