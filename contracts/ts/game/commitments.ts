import { type Model, type ModelPreimage, modelId, modelPreimage, toHex } from '@stoa/ir';
import type { Hex } from 'viem';

/** What ModelRegistry.register takes for a model: its id and the pre-image the chain rehashes. */
export interface ModelCommitments extends ModelPreimage {
  readonly modelId: Hex;
}

export function modelCommitments(model: Model): ModelCommitments {
  return { modelId: toHex(modelId(model)), ...modelPreimage(model) };
}

/** The arguments of ModelRegistry.register, in order. */
export function registerArgs(c: ModelCommitments): [Hex, Hex, Hex, Hex, Hex, number, number] {
  return [c.modelId, c.graphDigest, c.weightsRoot, c.stepsRoot, c.layoutHash, c.steps, c.opset];
}
