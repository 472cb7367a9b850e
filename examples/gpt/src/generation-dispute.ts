import { locateFirstDifference, type TreeRevealer, treeLevels, treeRevealer } from '@stoa/dispute';
import {
  type ExecutionBackend,
  equalBytes,
  generationInputDigest,
  generationOutputDigest,
  type IntTensor,
  leafHash,
  type Model,
  type SamplingParams,
  sampleToken,
  type TokenStep,
  toHex,
  tokenLeaf,
} from '@stoa/ir';
import { boundaryTensorDigest } from './generation-node.js';
import { logitsFrac, tokensInput, windowOf } from './integer-model.js';

/** What a challenger holds of a generation: the signed receipt's fields and what they bind. */
export interface GenerationClaim {
  readonly modelId: `0x${string}`;
  readonly promptTokens: readonly number[];
  readonly tokens: readonly number[];
  readonly sampling: SamplingParams;
  /** The generation receipt's digests: inputDigest, outputDigest and traceRoot (the token tree). */
  readonly inputDigest: `0x${string}`;
  readonly outputDigest: `0x${string}`;
  readonly traceRoot: `0x${string}`;
}

/** The claimant (the node) during a dispute: it answers from what it committed to. */
export interface GenerationClaimant extends TreeRevealer {
  /** Opens token `index`'s leaf. */
  openToken(index: number): TokenStep;
  /** The logits tensor its step `index` committed to (its execution receipt's outputDigest). */
  openLogits(index: number): IntTensor;
}

/** A claimant answering from the per-token steps and logits it kept. */
export function generationClaimant(
  steps: readonly TokenStep[],
  logits: readonly IntTensor[],
): GenerationClaimant {
  const levels = treeLevels(steps.map((s, i) => tokenLeaf(i, s)));
  return { ...treeRevealer(levels), openToken: (i) => steps[i]!, openLogits: (i) => logits[i]! };
}

export type GenerationVerdict =
  /** The receipt's own digests contradict its prompt, sampling parameters or tokens. */
  | { readonly kind: 'receipt'; readonly reason: string }
  | { readonly kind: 'honest' }
  | ({
      readonly token: number;
      readonly rounds: number;
    } /** The leaf's token is not the receipt's token at that index. */ & (
      | { readonly kind: 'token-mismatch' }
      /** Step `token` ran on another window than prompt + the tokens before it. */
      | { readonly kind: 'window' }
      /** The logits differ: the dispute continues inside this step's forward pass (its execution receipt). */
      | { readonly kind: 'forward-pass'; readonly outputDigest: `0x${string}` }
      /** The committed logits, seed and draw give another token: decided by the sampler one-step. */
      | { readonly kind: 'sampler'; readonly expected: number; readonly claimed: number }
    ));

/**
 * The sampler as a one-step: given the logits the step committed to (checked against its
 * outputDigest), the row, the receipt's sampling parameters and the draw number (the token's
 * index), the token is decided. Returns the token the sampler must give.
 */
export function samplerOneStep(
  model: Model,
  committed: TokenStep,
  logits: IntTensor,
  sampling: SamplingParams,
  draw: number,
): number {
  if (boundaryTensorDigest(model, model.graph.outputs[0]!, logits) !== committed.outputDigest)
    throw new Error(`the opened logits of token ${draw} are not the ones its step committed to`);
  return sampleToken(logits, logitsFrac(model), committed.position, sampling, draw);
}

/** Re-runs every token's step on prompt + the claimed tokens before it: the leaves an honest node commits. */
export async function honestSteps(
  model: Model,
  backend: ExecutionBackend,
  claim: Pick<GenerationClaim, 'promptTokens' | 'tokens' | 'sampling'>,
): Promise<{ steps: TokenStep[]; logits: IntTensor[] }> {
  const context = model.graph.nodeTypes[model.graph.inputs[0]!]!.shape.at(-1)!;
  const fraction = logitsFrac(model);
  const steps: TokenStep[] = [];
  const logits: IntTensor[] = [];
  for (let t = 0; t < claim.tokens.length; t++) {
    const { ids, length } = windowOf([...claim.promptTokens, ...claim.tokens.slice(0, t)], context);
    const position = Math.max(0, length - 1);
    const input = tokensInput(model, ids);
    const { outputs } = await backend.run([input]);
    logits.push(outputs[0]!);
    steps.push({
      inputDigest: boundaryTensorDigest(model, model.graph.inputs[0]!, input),
      outputDigest: boundaryTensorDigest(model, model.graph.outputs[0]!, outputs[0]!),
      position,
      token: sampleToken(outputs[0]!, fraction, position, claim.sampling, t),
    });
  }
  return { steps, logits };
}

/** The receipt's digests against the prompt, sampling parameters and tokens it shows. */
function receiptFault(claim: GenerationClaim): string | undefined {
  if (toHex(generationInputDigest(claim.promptTokens, claim.sampling)) !== claim.inputDigest)
    return 'inputDigest is not the digest of the prompt and sampling parameters';
  if (toHex(generationOutputDigest(claim.tokens)) !== claim.outputDigest)
    return 'outputDigest is not the digest of the tokens';
  return undefined;
}

/**
 * The challenger's side of a dispute over a generation: re-derive every token's leaf, descend
 * the claimant's token tree with split arity `arity` to the first leaf that differs, and decide
 * that token: its window, its forward pass (handed on to the step's bisection) or its sampler step.
 */
export async function disputeGeneration(
  model: Model,
  backend: ExecutionBackend,
  claim: GenerationClaim,
  claimant: GenerationClaimant,
  arity: number,
): Promise<GenerationVerdict> {
  const fault = receiptFault(claim);
  if (fault) return { kind: 'receipt', reason: fault };
  const honest = await honestSteps(model, backend, claim);
  const mine = treeLevels(honest.steps.map((s, i) => tokenLeaf(i, s)));
  const root = Uint8Array.from(Buffer.from(claim.traceRoot.slice(2), 'hex'));
  const located = await locateFirstDifference(root, claimant, mine, arity);
  if (!located) return { kind: 'honest' };
  const t = located.index;
  const at = { token: t, rounds: located.rounds };
  const opened = claimant.openToken(t);
  if (!equalBytes(leafHash(tokenLeaf(t, opened)), located.claimedLeaf))
    throw new Error(`the claimant opened token ${t} with a leaf it did not commit to`);
  if (opened.token !== claim.tokens[t]) return { kind: 'token-mismatch', ...at };
  const right = honest.steps[t]!;
  if (opened.inputDigest !== right.inputDigest || opened.position !== right.position)
    return { kind: 'window', ...at };
  if (opened.outputDigest !== right.outputDigest)
    return { kind: 'forward-pass', outputDigest: opened.outputDigest, ...at };
  const expected = samplerOneStep(model, opened, claimant.openLogits(t), claim.sampling, t);
  return { kind: 'sampler', expected, claimed: opened.token, ...at };
}
