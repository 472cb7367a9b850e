import {
  boundaryTensorDigest,
  type ExecutionBackend,
  type IntTensor,
  type Model,
  type TokenStep,
} from '@stoa/ir';
import type { Tokenizer } from './data/tokenizer.js';
import { type GenerateOptions, generate } from './generate.js';

/** A generation with what its node keeps to defend it: each token's leaf and the logits it read. */
export interface KeptGeneration {
  readonly promptTokens: number[];
  readonly tokens: number[];
  readonly steps: TokenStep[];
  readonly logits: IntTensor[];
}

/** Generates like generate(), keeping every step's input and logits digests and the logits. */
export async function keptGeneration(
  model: Model,
  backend: ExecutionBackend,
  tokenizer: Tokenizer,
  prompt: string,
  options: GenerateOptions,
): Promise<KeptGeneration> {
  const logits: IntTensor[] = [];
  const inputs: IntTensor[] = [];
  const keeping: ExecutionBackend = {
    async run(given) {
      const r = await backend.run(given);
      inputs.push(given[0]!);
      logits.push(r.outputs[0]!);
      return r;
    },
  };
  const g = await generate(model, keeping, tokenizer, prompt, options);
  const steps = g.steps.map((s, i) => ({
    inputDigest: boundaryTensorDigest(model, model.graph.inputs[0]!, inputs[i]!),
    outputDigest: boundaryTensorDigest(model, model.graph.outputs[0]!, logits[i]!),
    position: s.position,
    token: s.token,
  }));
  return { promptTokens: Array.from(tokenizer.encode(prompt)), tokens: g.tokens, steps, logits };
}

export { boundaryTensorDigest } from '@stoa/ir';
