import type * as ort from 'onnxruntime-node';
import { edgeInputsOf, edgeOutputsOf } from '../graph/types.js';
import { executeTile } from '../interpreter.js';
import type { Model } from '../model.js';
import { sizeOf } from '../tensor.js';
import { carrierOf } from './carrier.js';
import { type ConvChain, convChains } from './conv-chain.js';
import { fallbackReason, lowerEdge, materialize, type Pending } from './lower-edge.js';
import { OnnxGraphWriter } from './onnx-graph.js';

/**
 * A model cut into onnxruntime segments around the steps that run on the reference kernel.
 * `exposeAll` returns every computed node from onnxruntime (what a trace needs); otherwise a
 * segment returns only the model's outputs and what later segments read, and every other value
 * stays inside onnxruntime in its carrier type (the hot path).
 */
export type Segment =
  | {
      readonly kind: 'onnx';
      readonly session: ort.InferenceSession;
      readonly feeds: number[];
      readonly exposed: number[];
    }
  | { readonly kind: 'reference'; readonly step: number };

export interface SegmentPlan {
  readonly segments: Segment[];
  readonly fallbackSteps: number[];
}

const nodeName = (n: number) => `n${n}`;

/** Groups the schedule into runs of lowerable steps and single fallback steps. */
function groupSteps(model: Model, log: (message: string) => void): (number[] | number)[] {
  const { graph, schedule } = model;
  const groups: (number[] | number)[] = [];
  let run: number[] = [];
  for (let step = 0; step < schedule.length; step++) {
    const edge = schedule[step]!;
    const reason = fallbackReason(graph, edge);
    if (!reason) {
      run.push(step);
      continue;
    }
    log(
      `step ${step} (edge ${edge} '${graph.edgeNames[edge]}', ${graph.edgeOps[edge]}) runs on the reference kernel: ${reason}`,
    );
    if (run.length > 0) groups.push(run);
    run = [];
    groups.push(step);
  }
  if (run.length > 0) groups.push(run);
  return groups;
}

/**
 * The ONNX model of one segment: int32 feeds cast to carriers, carriers cast back for exposed
 * nodes. On the hot path (`hot`), rounding is deferred past Relu/MaxPool/Reshape/Transpose, and a
 * chain of ConvAccumulate (ConvTransposeAccumulate) links lowers as one Conv (ConvTranspose),
 * conv-chain.ts.
 */
function segmentGraph(
  model: Model,
  steps: readonly number[],
  isExposed: (node: number) => boolean,
  hot: boolean,
): { bytes: Uint8Array; feeds: number[]; exposed: number[] } {
  const { graph, schedule } = model;
  const w = new OnnxGraphWriter();
  const names = new Map<number, string>();
  const feeds: number[] = [];
  const pending = new Map<number, Pending>();
  const value = (n: number): string => {
    const known = names.get(n);
    if (known) return known;
    const unrounded = pending.get(n);
    if (unrounded) {
      const name = materialize(w, unrounded);
      names.set(n, name);
      return name;
    }
    const type = graph.nodeTypes[n]!;
    const data = graph.params.get(n);
    if (!data) feeds.push(n);
    const name = data
      ? w.constant(carrierOf(type.dtype), type.shape, data)
      : w.cast(nodeName(n), carrierOf(type.dtype));
    names.set(n, name);
    return name;
  };
  const produced: number[] = [];
  const edges = steps.map((s) => schedule[s]!);
  const chains = hot ? convChains(graph, edges, isExposed) : new Map<number, ConvChain>();
  // A fused chain's earlier links are computed by its last: their limbs are read by no one else.
  const fused = new Set([...chains.values()].flatMap((c) => c.links.slice(0, -1)));
  for (const step of steps) {
    const edge = schedule[step]!;
    if (fused.has(edge)) continue;
    const chain = chains.get(edge);
    // Rounding is deferred only where no one outside onnxruntime sees the unrounded node.
    const lowered = chain
      ? { output: chain.lower(w, value) }
      : lowerEdge(
          w,
          graph,
          edge,
          value,
          hot ? (n) => (isExposed(n) ? undefined : pending.get(n)) : undefined,
        );
    if ('fallback' in lowered)
      throw new Error(`step ${step} was planned on onnxruntime: ${lowered.fallback}`);
    const out = edgeOutputsOf(graph, edge)[0]!;
    if ('output' in lowered) names.set(out, lowered.output);
    else pending.set(out, lowered.pending);
    produced.push(out);
  }
  const exposed = produced.filter(isExposed);
  for (const n of exposed) w.node('Cast', [value(n)], { to: 6 /* INT32 */ }, nodeName(n));
  const boundary = (n: number) => ({ name: nodeName(n), shape: graph.nodeTypes[n]!.shape });
  return { bytes: w.encode(feeds.map(boundary), exposed.map(boundary)), feeds, exposed };
}

/**
 * onnxruntime, loaded by the first plan: importing @stoa/ir (every `stoa` command that loads a
 * config does) need not load the native runtime. Segments exist only once a plan loaded it.
 */
let runtime: typeof ort | undefined;

export async function planSegments(
  model: Model,
  exposeAll: boolean,
  sessionOptions: ort.InferenceSession.SessionOptions,
  log: (message: string) => void,
): Promise<SegmentPlan> {
  const { graph, schedule } = model;
  const groups = groupSteps(model, log);
  // The segment (group index) that computes each node, to find which values cross segments.
  const groupOf = new Int32Array(graph.nodeTypes.length).fill(-1);
  groups.forEach((g, i) => {
    for (const step of typeof g === 'number' ? [g] : g)
      for (const n of edgeOutputsOf(graph, schedule[step]!)) groupOf[n] = i;
  });
  const readOutside = new Set<number>(graph.outputs);
  groups.forEach((g, i) => {
    for (const step of typeof g === 'number' ? [g] : g)
      for (const n of edgeInputsOf(graph, schedule[step]!))
        if (groupOf[n] !== -1 && groupOf[n] !== i) readOutside.add(n);
  });
  const segments: Segment[] = [];
  for (const g of groups) {
    if (typeof g === 'number') {
      segments.push({ kind: 'reference', step: g });
      continue;
    }
    const built = segmentGraph(model, g, (n) => exposeAll || readOutside.has(n), !exposeAll);
    runtime ??= await import('onnxruntime-node');
    const session = await runtime.InferenceSession.create(built.bytes, sessionOptions);
    segments.push({ kind: 'onnx', session, feeds: built.feeds, exposed: built.exposed });
  }
  return { segments, fallbackSteps: groups.filter((g) => typeof g === 'number') };
}

/** Runs the segments in order; returns every value they produced (and the inputs and weights). */
export async function runSegments(
  model: Model,
  segments: readonly Segment[],
  inputs: readonly { data: Int32Array }[],
): Promise<(Int32Array | undefined)[]> {
  const { graph, schedule } = model;
  const values: (Int32Array | undefined)[] = new Array(graph.nodeTypes.length);
  graph.inputs.forEach((n, i) => {
    values[n] = inputs[i]!.data;
  });
  for (const [n, data] of graph.params) values[n] = data;
  for (const segment of segments) {
    if (segment.kind === 'reference') {
      const edge = schedule[segment.step]!;
      const out = edgeOutputsOf(graph, edge)[0]!;
      const size = sizeOf(graph.nodeTypes[out]!.shape);
      const ins = [...edgeInputsOf(graph, edge)].map((n) => values[n]!);
      values[out] = executeTile(graph, edge, ins, { index: 0, start: 0, end: size, work: 0 });
      continue;
    }
    const feed: Record<string, ort.Tensor> = {};
    for (const n of segment.feeds)
      feed[nodeName(n)] = new runtime!.Tensor('int32', values[n]!, graph.nodeTypes[n]!.shape as number[]);
    const result = await segment.session.run(feed);
    for (const n of segment.exposed) values[n] = result[nodeName(n)]!.data as Int32Array;
  }
  return values;
}
