import type { Param } from '../param.js';
import type { LayerOps } from './layer.js';

/** NCHW batches are already stored as [N, C*H*W]; this layer exists so the exported graph has a Flatten. */
export class Flatten implements LayerOps {
  readonly kind = 'flatten';

  constructor(
    readonly name: string,
    readonly outputSize: number,
  ) {}

  params(): Param[] {
    return [];
  }

  forward(input: Float32Array): Float32Array {
    return input;
  }

  backward(gradOutput: Float32Array): Float32Array {
    return gradOutput;
  }
}
