import { describe, expect, it } from 'vitest';
import { calibrate, calibrationFracs, fracFor } from '../quantize/calibrate.js';
import { floatNode } from '../testing/float-node.js';
import { Random } from '../testing/random.js';
import { runFloatGraph } from './float-exec.js';
import type { FloatGraph, FloatTensor } from './float-graph.js';
import { fuseHardSwish } from './fuse-hard-swish.js';

const scalar = (v: number): FloatTensor => ({ shape: [], data: Float64Array.of(v) });
const node = floatNode;

/** y = Div(Mul(x, Clip(Add(x, three), 0, 6)), six), optionally with the Add's result read twice. */
function writtenOut(extraReader: boolean, divisor = 6): FloatGraph {
  const nodes = [
    node('Add', ['three', 'x'], 'a'),
    node('Clip', ['a'], 'c', { min: 0, max: 6 }),
    node('Mul', ['c', 'x'], 'm'),
    node('Div', ['m', 'six'], 'y'),
  ];
  if (extraReader) nodes.push(node('Relu', ['a'], 'r'));
  const shape = [1, 8];
  return {
    name: 'hs',
    inputs: [{ name: 'x', shape }],
    outputs: extraReader ? ['y', 'r'] : ['y'],
    nodes,
    constants: new Map([
      ['three', scalar(3)],
      ['six', scalar(divisor)],
    ]),
    shapes: new Map(['x', 'a', 'c', 'm', 'y', 'r'].map((n) => [n, shape])),
  };
}

const X = [-5, -3, -1.5, 0, 0.7, 2.9, 3, 7.25];

describe('fuseHardSwish', () => {
  it('turns the written-out pattern into one HardSwish with the same float values', () => {
    const graph = writtenOut(false);
    const fused = fuseHardSwish(graph);
    expect(fused.nodes.map((n) => n.op)).toEqual(['HardSwish']);
    expect(fused.nodes[0]!.inputs).toEqual(['x']);
    const before = runFloatGraph(graph, [X]).get('y')!.data;
    const after = runFloatGraph(fused, [X]).get('y')!.data;
    for (const [i, v] of before.entries()) expect(after[i]).toBeCloseTo(v, 12);
  });

  it('leaves it alone when an intermediate is read elsewhere or the constants differ', () => {
    expect(fuseHardSwish(writtenOut(true)).nodes.map((n) => n.op)).not.toContain('HardSwish');
    expect(fuseHardSwish(writtenOut(false, 5)).nodes.map((n) => n.op)).not.toContain('HardSwish');
  });
});

const N = 20_001;

describe('MSE calibration', () => {
  it('gives a heavy-tailed activation a finer frac than its maximum allows, and never a coarser one', () => {
    const graph: FloatGraph = {
      name: 'relu',
      inputs: [{ name: 'x', shape: [N] }],
      outputs: ['y'],
      nodes: [node('Relu', ['x'], 'y')],
      constants: new Map(),
      shapes: new Map([
        ['x', [N]],
        ['y', [N]],
      ]),
    };
    // 20,000 values in [0, 0.4) and one outlier at 1.3: the maximum allows frac 6; at frac 7
    // the outlier saturates (error² 0.095) but the bulk's rounding error falls from 0.41 to 0.10.
    const rng = new Random(5);
    const sample = [[Array.from({ length: N }, (_, i) => (i === 0 ? 1.3 : rng.next() * 0.4))]];
    const ranges = calibrate(graph, sample);
    const fracs = calibrationFracs(graph, sample, ranges, 'i8');
    expect(fracFor(ranges.get('y')!, 'i8')).toBe(6);
    expect(fracs.get('y')).toBe(7);
    // Spread evenly up to its maximum, the max-fitting frac is already the best.
    const even = [[Array.from({ length: N }, (_, i) => (3 * i) / N)]];
    const evenRanges = calibrate(graph, even);
    expect(calibrationFracs(graph, even, evenRanges, 'i8').get('y')).toBe(
      fracFor(evenRanges.get('y')!, 'i8'),
    );
  });
});
