import { type Model, modelId, toHex, weightsRoot } from '@stoa/ir';
import type { Hex } from 'viem';
import { layoutHash, stepsRoot } from '../one-step/descriptor.js';

/** What ModelRegistry.register takes for a model: every root a dispute is judged against. */
export interface ModelCommitments {
  readonly modelId: Hex;
  readonly weightsRoot: Hex;
  readonly stepsRoot: Hex;
  readonly layoutHash: Hex;
  readonly steps: number;
  readonly opset: number;
}

export function modelCommitments(model: Model): ModelCommitments {
  return {
    modelId: toHex(modelId(model)),
    weightsRoot: toHex(weightsRoot(model)),
    stepsRoot: stepsRoot(model),
    layoutHash: layoutHash(model),
    steps: model.schedule.length,
    opset: model.opset,
  };
}

/** The arguments of ModelRegistry.register, in order. */
export function registerArgs(c: ModelCommitments): [Hex, Hex, Hex, Hex, number, number] {
  return [c.modelId, c.weightsRoot, c.stepsRoot, c.layoutHash, c.steps, c.opset];
}
