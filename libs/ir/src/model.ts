import { canonicalSchedule, checkSchedule } from './graph/schedule.js';
import type { Hypergraph } from './graph/types.js';
import { validateGraph } from './graph/validate.js';
import { OPSET_VERSION } from './ops/registry.js';

/**
 * A compiled model: a validated hypergraph, its canonical schedule (step i of every trace runs
 * edge schedule[i]) and the op-set version whose semantics it uses.
 */
export interface Model {
  readonly name: string;
  readonly graph: Hypergraph;
  readonly schedule: Uint32Array;
  readonly opset: number;
}

export function createModel(graph: Hypergraph, name: string): Model {
  validateGraph(graph);
  return { name, graph, schedule: canonicalSchedule(graph), opset: OPSET_VERSION };
}

/** Checks a model that came from elsewhere (a decoded artifact): graph, schedule and op set. */
export function checkModel(model: Model): void {
  validateGraph(model.graph);
  checkSchedule(model.graph, model.schedule);
}
