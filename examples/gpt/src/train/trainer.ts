import { Random } from '@stoa/ir';
import { Adam } from './adam.js';
import { backward, crossEntropy, forward } from './gpt.js';
import { allParams, type GptConfig, type GptParams, initGpt, zeroGrads } from './params.js';

export interface TrainOptions {
  readonly seed: number;
  readonly steps: number;
  /** Sequences per step. */
  readonly batch: number;
  readonly learningRate: number;
  /** Called every `logEvery` steps with the mean training loss (nats) since the last call. */
  readonly onProgress?: (step: number, loss: number) => void;
  readonly logEvery?: number;
}

/** A window of context + 1 tokens starting at `start`: inputs and next-token targets. */
function window(tokens: Int32Array, start: number, context: number) {
  return {
    inputs: tokens.subarray(start, start + context),
    targets: tokens.subarray(start + 1, start + context + 1),
  };
}

/**
 * Trains a fresh GPT on random windows of `tokens` (seeded: the same options give the same
 * weights), with a linear warm-up and cosine decay of the learning rate.
 */
export function trainGpt(config: GptConfig, tokens: Int32Array, options: TrainOptions): GptParams {
  const model = initGpt(config, options.seed);
  const params = allParams(model);
  const adam = new Adam(params);
  const random = new Random(options.seed + 1);
  const warmup = Math.max(1, Math.floor(options.steps / 20));
  const logEvery = options.logEvery ?? 50;
  let lossSum = 0;
  for (let step = 1; step <= options.steps; step++) {
    zeroGrads(params);
    for (let b = 0; b < options.batch; b++) {
      const { inputs, targets } = window(
        tokens,
        random.int(0, tokens.length - config.context - 2),
        config.context,
      );
      const { logits, cache } = forward(model, inputs);
      const { loss, dLogits } = crossEntropy(
        logits,
        targets,
        config.vocab,
        1 / (options.batch * config.context),
      );
      backward(model, cache, dLogits);
      lossSum += loss / options.batch;
    }
    const progress = step / options.steps;
    const decay = 0.5 * (1 + Math.cos(Math.PI * progress));
    adam.step(options.learningRate * Math.min(1, step / warmup) * (0.1 + 0.9 * decay));
    if (step % logEvery === 0) {
      options.onProgress?.(step, lossSum / logEvery);
      lossSum = 0;
    }
  }
  return model;
}

/** Mean next-token cross-entropy (nats) of the float model over consecutive windows of `tokens`. */
export function meanLoss(model: GptParams, tokens: Int32Array, windows: number): number {
  const { context, vocab } = model.config;
  let total = 0;
  for (let w = 0; w < windows; w++) {
    const { inputs, targets } = window(tokens, w * context, context);
    total += crossEntropy(forward(model, inputs).logits, targets, vocab, 0).loss;
  }
  return total / windows;
}
