import { quantizeInput } from '../boundary.js';
import { toHex } from '../commit/hash.js';
import { tensorDigest } from '../commit/tensor-digest.js';
import type { Model } from '../model.js';
import type { IntTensor } from '../tensor.js';
import { boundaryDigest } from '../trace/trace.js';
import type { TokenStep } from './commitment.js';
import { type SamplingParams, sampleToken } from './sampling.js';

/** One execution of the model on one window of token ids, returning its logits. */
export type StepRunner = (window: IntTensor) => Promise<IntTensor>;

export interface TokenGenerationOptions {
  readonly maxTokens: number;
  readonly sampling: SamplingParams;
  /** Generation ends once the generated ids end with one of these sequences (kept in `tokens`). */
  readonly stopSequences?: readonly (readonly number[])[];
  /** Called with each token as it is chosen, before the next step runs (streaming). */
  readonly onToken?: (token: number, index: number) => void | Promise<void>;
}

/** One generated token: the window the model read, its logits, the row the sampler read, the pick. */
export interface GeneratedToken {
  readonly window: IntTensor;
  readonly logits: IntTensor;
  readonly position: number;
  readonly token: number;
}

export interface TokenGeneration {
  readonly tokens: number[];
  readonly steps: GeneratedToken[];
  readonly finishReason: 'length' | 'stop';
}

/** The last `context` of token ids `all`, right-padded with 0, and how many of them are real. */
export function windowOf(all: ArrayLike<number>, context: number): { ids: Int32Array; length: number } {
  const start = Math.max(0, all.length - context);
  const ids = new Int32Array(context);
  for (let k = start; k < all.length; k++) ids[k - start] = all[k]!;
  return { ids, length: all.length - start };
}

/** Fractional bits of a language model's integer logits (a per-tensor scale: the sampler reads them). */
export function logitsFrac(model: Model): number {
  const f = model.graph.nodeTypes[model.graph.outputs[0]!]!.frac;
  if (typeof f !== 'number') throw new Error('the logits need a per-tensor scale for sampling');
  return f;
}

/** Window length of a language model: the last dimension of its token-id input. */
export function contextOf(model: Model): number {
  return model.graph.nodeTypes[model.graph.inputs[0]!]!.shape.at(-1)!;
}

const endsWith = (tokens: readonly number[], tail: readonly number[]) =>
  tail.length > 0 &&
  tokens.length >= tail.length &&
  tail.every((t, k) => tokens[tokens.length - tail.length + k] === t);

/**
 * Generation over token ids that recomputes the whole window for every token (no KV cache):
 * token t is one execution of `model` on the last `context` ids of prompt plus tokens before t
 * (right-padded; causal attention makes the padding invisible), and the pick is `sampleToken`
 * on the logits row of the last real id with draw number t. What a generation receipt binds.
 */
export async function generateTokens(
  model: Model,
  runStep: StepRunner,
  promptTokens: readonly number[],
  options: TokenGenerationOptions,
): Promise<TokenGeneration> {
  const context = contextOf(model);
  const frac = logitsFrac(model);
  const history = [...promptTokens];
  const tokens: number[] = [];
  const steps: GeneratedToken[] = [];
  while (tokens.length < options.maxTokens) {
    const { ids, length } = windowOf(history, context);
    const position = Math.max(0, length - 1);
    const window = quantizeInput(model.graph, 0, ids);
    const logits = await runStep(window);
    const token = sampleToken(logits, frac, position, options.sampling, tokens.length);
    tokens.push(token);
    history.push(token);
    steps.push({ window, logits, position, token });
    await options.onToken?.(token, tokens.length - 1);
    if (options.stopSequences?.some((s) => endsWith(tokens, s)))
      return { tokens, steps, finishReason: 'stop' };
  }
  return { tokens, steps, finishReason: 'length' };
}

/** A boundary tensor's digest as an execution receipt commits to it (a one-tensor boundary). */
export function boundaryTensorDigest(model: Model, node: number, tensor: IntTensor): `0x${string}` {
  return toHex(boundaryDigest([tensorDigest(model.graph.nodeTypes[node]!.dtype, tensor.data)]));
}

/** A generated token's leaf fields: the digests its step's execution receipt carries. */
export function tokenStepOf(model: Model, step: GeneratedToken): TokenStep {
  return {
    inputDigest: boundaryTensorDigest(model, model.graph.inputs[0]!, step.window),
    outputDigest: boundaryTensorDigest(model, model.graph.outputs[0]!, step.logits),
    position: step.position,
    token: step.token,
  };
}
