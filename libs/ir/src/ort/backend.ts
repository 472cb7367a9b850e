import * as ort from 'onnxruntime-node';
import { edgeInputsOf, edgeOutputsOf } from '../graph/types.js';
import { checkInputs, executeTile } from '../interpreter.js';
import type { Model } from '../model.js';
import { type IntTensor, sizeOf } from '../tensor.js';
import type { ExecutionBackend } from '../trace/execute.js';
import { lowerEdge } from './lower-edge.js';
import { OnnxGraphWriter } from './onnx-graph.js';

export interface OnnxRuntimeBackendOptions {
  /** onnxruntime intra-op threads; defaults to onnxruntime's choice. */
  readonly intraOpThreads?: number;
  /**
   * onnxruntime execution providers in order of preference (e.g. ['cuda', 'cpu']); defaults to
   * the CPU. A provider must still give bit-identical results: callers check (see apps/node).
   */
  readonly executionProviders?: readonly string[];
  /**
   * Debug log: says which steps fall back to the reference kernels, and why. Defaults to
   * stderr when STOA_DEBUG contains 'backend', else silent.
   */
  readonly log?: (message: string) => void;
}

type Segment =
  | {
      readonly kind: 'onnx';
      readonly steps: number[];
      readonly session: ort.InferenceSession;
      readonly feeds: number[];
      readonly produced: number[];
    }
  | { readonly kind: 'reference'; readonly step: number };

export interface BackendRun {
  readonly outputs: IntTensor[];
  readonly values: (Int32Array | undefined)[];
}

export interface OnnxRuntimeBackend extends ExecutionBackend {
  run(inputs: IntTensor[]): Promise<BackendRun>;
  close(): Promise<void>;
  /** Schedule steps computed by the reference kernel because onnxruntime has no exact lowering. */
  readonly fallbackSteps: readonly number[];
}

const nodeName = (n: number) => `n${n}`;

function defaultLog(message: string): void {
  if (process.env.STOA_DEBUG?.split(',').includes('backend')) console.error(`[stoa:backend] ${message}`);
}

/**
 * The fast backend: the integer graph lowered to ONNX integer ops (MatMulInteger, ConvInteger,
 * int64 arithmetic for rounding and saturation) and run by onnxruntime with every intermediate
 * exposed as an output. Results are bit-identical to the reference interpreter; steps with no
 * exact lowering run the reference kernel between onnxruntime segments.
 */
export async function createOnnxRuntimeBackend(
  model: Model,
  options: OnnxRuntimeBackendOptions = {},
): Promise<OnnxRuntimeBackend> {
  const { graph, schedule } = model;
  const log = options.log ?? defaultLog;
  const segments: Segment[] = [];
  const fallbackSteps: number[] = [];
  let writer = new OnnxGraphWriter();
  let steps: number[] = [];
  let produced = new Set<number>();
  let feeds = new Set<number>();
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(options.executionProviders ? { executionProviders: [...options.executionProviders] } : {}),
  };

  const flush = async () => {
    if (steps.length === 0) return;
    const outputs = [...produced];
    const feedList = [...feeds];
    // Outputs are renamed through Identity so each graph output has exactly its node's name.
    const bytes = writer.encode(feedList.map(nodeName), outputs.map(nodeName));
    const session = await ort.InferenceSession.create(bytes, sessionOptions);
    segments.push({ kind: 'onnx', steps, session, feeds: feedList, produced: outputs });
    writer = new OnnxGraphWriter();
    steps = [];
    produced = new Set();
    feeds = new Set();
  };

  for (let step = 0; step < schedule.length; step++) {
    const edge = schedule[step]!;
    const mark = writer.checkpoint();
    const value = (n: number): string => {
      const data = graph.params.get(n);
      if (data) return writer.constant('int32', graph.nodeTypes[n]!.shape, data);
      if (!produced.has(n)) feeds.add(n);
      return nodeName(n);
    };
    const feedsBefore = new Set(feeds);
    const lowered = lowerEdge(writer, graph, edge, value);
    if ('output' in lowered) {
      const out = edgeOutputsOf(graph, edge)[0]!;
      writer.node('Identity', [lowered.output], {}, nodeName(out));
      produced.add(out);
      steps.push(step);
    } else {
      writer.rollback(mark);
      feeds = feedsBefore;
      log(
        `step ${step} (edge ${edge} '${graph.edgeNames[edge]}', ${graph.edgeOps[edge]}) runs on the reference kernel: ${lowered.fallback}`,
      );
      await flush();
      segments.push({ kind: 'reference', step });
      fallbackSteps.push(step);
    }
  }
  await flush();

  return {
    fallbackSteps,
    async run(inputs) {
      checkInputs(graph, inputs);
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
          feed[nodeName(n)] = new ort.Tensor('int32', values[n]!, graph.nodeTypes[n]!.shape as number[]);
        const result = await segment.session.run(feed);
        for (const n of segment.produced) values[n] = result[nodeName(n)]!.data as Int32Array;
      }
      const outputs = Array.from(graph.outputs, (n) => {
        const type = graph.nodeTypes[n]!;
        return { dtype: type.dtype, shape: [...type.shape], data: values[n]! };
      });
      return { outputs, values };
    },
    async close() {
      for (const s of segments) if (s.kind === 'onnx') await s.session.release();
    },
  };
}
