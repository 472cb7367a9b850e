import type { MnistModelKind } from '../models.js';
import { createCnn, createMlp } from './models.js';
import type { Random } from './random.js';
import type { Sequential } from './sequential.js';

export interface TrainingRecipe {
  create: (random: Random) => Sequential;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export const TRAINING_SEED = 42;

/** Sized so each model clears its accuracy target within about two minutes on one core. */
export const TRAINING_RECIPES: Readonly<Record<MnistModelKind, TrainingRecipe>> = {
  mlp: { create: createMlp, epochs: 5, batchSize: 64, learningRate: 2e-3 },
  cnn: { create: createCnn, epochs: 3, batchSize: 64, learningRate: 2e-3 },
};
