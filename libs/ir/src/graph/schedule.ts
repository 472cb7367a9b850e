import { IrError } from '../errors.js';
import { edgeInputsOf, edgeOutputsOf, type Hypergraph, producers } from './types.js';

/** Binary min-heap of edge ids: the canonical schedule always runs the lowest ready edge first. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const child = left + 1 < items.length && items[left + 1]! < items[left]! ? left + 1 : left;
        if (items[child]! >= last) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

/**
 * The canonical topological order: Kahn's algorithm taking the lowest-numbered ready edge.
 * Step i of every trace executes edge schedule[i]. Throws on a cycle, naming an edge on it.
 */
export function canonicalSchedule(graph: Hypergraph): Uint32Array {
  const edges = graph.edgeOps.length;
  const producer = producers(graph);
  const waiting = new Uint32Array(edges);
  const consumers: number[][] = Array.from({ length: graph.nodeTypes.length }, () => []);
  for (let e = 0; e < edges; e++) {
    for (const n of edgeInputsOf(graph, e)) {
      if (producer[n]! >= 0) {
        waiting[e]!++;
        consumers[n]!.push(e);
      }
    }
  }
  const ready = new MinHeap();
  for (let e = 0; e < edges; e++) if (waiting[e] === 0) ready.push(e);
  const order = new Uint32Array(edges);
  let count = 0;
  while (ready.size > 0) {
    const e = ready.pop();
    order[count++] = e;
    for (const n of edgeOutputsOf(graph, e)) {
      for (const c of consumers[n]!) if (--waiting[c]! === 0) ready.push(c);
    }
  }
  if (count < edges) {
    const stuck = waiting.findIndex((w) => w > 0);
    throw new IrError(
      'GRAPH_INVALID',
      `the graph has a cycle through edge '${graph.edgeNames[stuck]}' (${graph.edgeOps[stuck]})`,
    );
  }
  return order;
}

/** Checks that `schedule` runs every edge once, each after the producers of its inputs. */
export function checkSchedule(graph: Hypergraph, schedule: Uint32Array): void {
  const edges = graph.edgeOps.length;
  if (schedule.length !== edges) {
    throw new IrError('SCHEDULE_INVALID', `schedule has ${schedule.length} steps for ${edges} edges`);
  }
  const producer = producers(graph);
  const doneAt = new Int32Array(edges).fill(-1);
  schedule.forEach((e, step) => {
    if (e >= edges || doneAt[e]! >= 0) {
      throw new IrError(
        'SCHEDULE_INVALID',
        `schedule step ${step} names edge ${e}, which is out of range or repeated`,
      );
    }
    for (const n of edgeInputsOf(graph, e)) {
      const p = producer[n]!;
      if (p >= 0 && doneAt[p]! < 0) {
        throw new IrError(
          'SCHEDULE_INVALID',
          `schedule step ${step} runs edge '${graph.edgeNames[e]}' before '${graph.edgeNames[p]}', which produces its input`,
        );
      }
    }
    doneAt[e] = step;
  });
}
