import type { Layer } from './layers/index.js';
import type { Param } from './param.js';

/** A chain of layers from a fixed per-sample input shape to class logits. */
export class Sequential {
  readonly inputSize: number;

  constructor(
    readonly name: string,
    /** Per-sample input shape without the batch dimension, e.g. [784] or [1, 28, 28]. */
    readonly inputShape: readonly number[],
    readonly layers: readonly Layer[],
  ) {
    this.inputSize = inputShape.reduce((a, b) => a * b, 1);
  }

  get outputSize(): number {
    const last = this.layers[this.layers.length - 1];
    return last ? last.outputSize : this.inputSize;
  }

  params(): Param[] {
    return this.layers.flatMap((layer) => layer.params());
  }

  forward(input: Float32Array, batch: number, training: boolean): Float32Array {
    if (input.length !== batch * this.inputSize) {
      throw new Error(`${this.name}: input has ${input.length} values, expected ${batch}x${this.inputSize}`);
    }
    let activation = input;
    for (const layer of this.layers) activation = layer.forward(activation, batch, training);
    return activation;
  }

  /** Back-propagates the loss gradient with respect to the logits, filling every param's grad. */
  backward(gradLogits: Float32Array, batch: number): void {
    let grad: Float32Array | null = gradLogits;
    for (let i = this.layers.length - 1; i >= 0 && grad; i--) {
      grad = this.layers[i].backward(grad, batch, i > 0);
    }
  }

  /** Inference-mode logits for `batch` samples. */
  predict(input: Float32Array, batch: number): Float32Array {
    return this.forward(input, batch, false);
  }
}
