import type * as ort from 'onnxruntime-node';
import { checkInputs } from '../interpreter.js';
import type { Model } from '../model.js';
import type { IntTensor } from '../tensor.js';
import type { ExecutionBackend } from '../trace/execute.js';
import { planSegments, runSegments } from './segments.js';

export interface OnnxRuntimeBackendOptions {
  /** onnxruntime intra-op threads; defaults to onnxruntime's choice. */
  readonly intraOpThreads?: number;
  /**
   * Whether onnxruntime's idle worker threads spin (its default, true). A server that shares
   * its cores with its own HTTP and journaling work turns it off: spinning threads take the
   * CPU those need between requests.
   */
  readonly spinning?: boolean;
  /**
   * onnxruntime execution providers in order of preference (e.g. ['cuda', 'cpu']); defaults to
   * the CPU. CUDA runs with TF32 turned off (see `exactProviders`). A provider must still
   * give bit-identical results: callers check (see apps/node).
   */
  readonly executionProviders?: readonly string[];
  /**
   * Debug log: says which steps fall back to the reference kernels, and why. Defaults to
   * stderr when STOA_DEBUG contains 'backend', else silent.
   */
  readonly log?: (message: string) => void;
}

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

/** The hot path: exact inference that returns only the model's outputs. */
export interface HotPathBackend {
  run(inputs: IntTensor[]): Promise<IntTensor[]>;
  close(): Promise<void>;
  readonly fallbackSteps: readonly number[];
}

function defaultLog(message: string): void {
  if (process.env.STOA_DEBUG?.split(',').includes('backend')) console.error(`[stoa:backend] ${message}`);
}

/**
 * Execution providers as onnxruntime takes them, with TF32 off whenever CUDA is among them.
 * onnxruntime's CUDA provider enables TF32 tensor-core math by default, and onnxruntime-node's
 * binding passes only `deviceId` to the provider (its `use_tf32` option cannot be set from
 * JavaScript), so TF32 is turned off through NVIDIA's documented process-wide switch
 * NVIDIA_TF32_OVERRIDE=0, which cuBLAS and cuDNN read when the provider loads them. The node's
 * start-up bit-identity check still guards the result.
 */
export function exactProviders(
  names: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ort.InferenceSession.SessionOptions['executionProviders'] {
  if (names.includes('cuda')) env.NVIDIA_TF32_OVERRIDE = '0';
  return [...names];
}

function sessionOptions(options: OnnxRuntimeBackendOptions): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(options.spinning === false
      ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }
      : {}),
    ...(options.executionProviders ? { executionProviders: exactProviders(options.executionProviders) } : {}),
  };
}

function outputsOf(model: Model, values: readonly (Int32Array | undefined)[]): IntTensor[] {
  return Array.from(model.graph.outputs, (n) => {
    const type = model.graph.nodeTypes[n]!;
    return { dtype: type.dtype, shape: [...type.shape], data: values[n]! };
  });
}

/**
 * The traced backend: the integer graph lowered to ONNX (float32 kernels where provably exact,
 * MatMulInteger/ConvInteger elsewhere, values carried as float32 or double between ops) and run
 * by onnxruntime with every intermediate returned as int32. Bit-identical to the reference
 * interpreter; steps with no exact lowering run the reference kernel between segments.
 */
export async function createOnnxRuntimeBackend(
  model: Model,
  options: OnnxRuntimeBackendOptions = {},
): Promise<OnnxRuntimeBackend> {
  const { fallbackSteps, values, close } = await compile(model, true, options);
  return {
    fallbackSteps,
    close,
    async run(inputs) {
      const all = await values(inputs);
      return { outputs: outputsOf(model, all), values: all };
    },
  };
}

/**
 * The hot path: the same lowering, but only the model's outputs (and values a reference-kernel
 * step needs) leave onnxruntime; every other activation stays inside it in its carrier type.
 */
export async function createHotPathBackend(
  model: Model,
  options: OnnxRuntimeBackendOptions = {},
): Promise<HotPathBackend> {
  const { fallbackSteps, values, close } = await compile(model, false, options);
  return { fallbackSteps, close, run: async (inputs) => outputsOf(model, await values(inputs)) };
}

/** Plans and opens the segments; `values` checks the inputs and runs them. */
async function compile(model: Model, exposeAll: boolean, options: OnnxRuntimeBackendOptions) {
  const { segments, fallbackSteps } = await planSegments(
    model,
    exposeAll,
    sessionOptions(options),
    options.log ?? defaultLog,
  );
  return {
    fallbackSteps,
    values: (inputs: IntTensor[]) => {
      checkInputs(model.graph, inputs);
      return runSegments(model, segments, inputs);
    },
    close: async () => {
      for (const s of segments) if (s.kind === 'onnx') await s.session.release();
    },
  };
}
