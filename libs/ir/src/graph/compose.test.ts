import { describe, expect, it } from 'vitest';
import { IrError } from '../errors.js';
import { run } from '../interpreter.js';
import { createModel } from '../model.js';
import { randomGraph } from '../testing/random-graph.js';
import { GraphBuilder } from './builder.js';
import { composeParallel, composeSequential, extractSubgraph } from './compose.js';
import { canonicalSchedule, checkSchedule } from './schedule.js';

describe('subgraphs and composition', () => {
  it('splitting a graph at any schedule step and composing the halves gives the same outputs', () => {
    let checked = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const { model, inputs } = randomGraph(seed);
      const steps = model.schedule.length;
      if (steps < 2 || model.graph.inputs.length !== 1) continue;
      const cut = 1 + (seed % (steps - 1));
      const head = extractSubgraph(model.graph, model.schedule.subarray(0, cut));
      const tail = extractSubgraph(model.graph, model.schedule.subarray(cut));
      // The halves glue back only when the tail reads exactly what the head exports.
      if (head.outputs.length !== tail.inputs.length || tail.inputs.length !== 1) continue;
      const whole = createModel(composeSequential(head, tail), 'recomposed');
      expect(run(whole, inputs).outputs[0]!.data).toEqual(run(model, inputs).outputs[0]!.data);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('parallel composition runs both graphs side by side', () => {
    const a = randomGraph(3);
    const b = randomGraph(4);
    const both = createModel(composeParallel(a.model.graph, b.model.graph), 'both');
    const out = run(both, [...a.inputs, ...b.inputs]).outputs;
    expect(out[0]!.data).toEqual(run(a.model, a.inputs).outputs[0]!.data);
    expect(out[1]!.data).toEqual(run(b.model, b.inputs).outputs[0]!.data);
  });

  it('refuses to glue mismatched boundaries', () => {
    const a = randomGraph(3).model.graph;
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [99], frac: 0 });
    b.output(b.op('Relu', [x]));
    expect(() => composeSequential(a, b.build())).toThrow(IrError);
  });
});

describe('canonical schedule', () => {
  it('runs the lowest ready edge first and rejects orders that break dependencies', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [4], frac: 3 });
    const late = b.op('Relu', [x], { name: 'late' });
    const early = b.op('Relu', [x], { name: 'early' });
    const joined = b.op('Add', [early, late], { name: 'join' });
    b.output(joined);
    const graph = b.build();
    expect([...canonicalSchedule(graph)]).toEqual([0, 1, 2]);
    expect(() => checkSchedule(graph, Uint32Array.of(0, 2, 1))).toThrow(/runs edge 'join' before 'early'/);
    expect(() => checkSchedule(graph, Uint32Array.of(0, 0, 2))).toThrow(/repeated/);
    checkSchedule(graph, Uint32Array.of(1, 0, 2));
  });

  it('names an edge on a cycle', () => {
    const b = new GraphBuilder();
    const x = b.input('x', { dtype: 'i8', shape: [4], frac: 3 });
    const r1 = b.op('Relu', [x], { name: 'r1' });
    b.output(b.op('Relu', [r1], { name: 'r2' }));
    const graph = b.build();
    const targets = Uint32Array.from(graph.edgeInputs.targets);
    targets[0] = 2; // r1 now reads r2's output
    expect(() => canonicalSchedule({ ...graph, edgeInputs: { ...graph.edgeInputs, targets } })).toThrow(
      /cycle through edge 'r1'/,
    );
  });
});
