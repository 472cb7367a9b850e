import type { Param } from '../param.js';

/**
 * Batched NCHW (or [N, features]) layer on flat Float32Arrays. `forward` keeps what `backward` needs,
 * so backward must follow the forward pass of the same batch.
 */
export interface LayerOps {
  readonly name: string;
  /** Per-sample output size. */
  readonly outputSize: number;
  forward(input: Float32Array, batch: number, training: boolean): Float32Array;
  /** Writes parameter gradients; returns the input gradient only when `needInputGrad`. */
  backward(gradOutput: Float32Array, batch: number, needInputGrad: boolean): Float32Array | null;
  params(): Param[];
}
