import { type Param, sized } from '../param.js';
import type { LayerOps } from './layer.js';

export class Relu implements LayerOps {
  readonly kind = 'relu';
  private output = new Float32Array(0);
  private gradInput = new Float32Array(0);

  constructor(
    readonly name: string,
    readonly outputSize: number,
  ) {}

  params(): Param[] {
    return [];
  }

  forward(input: Float32Array, batch: number): Float32Array {
    this.output = sized(this.output, batch * this.outputSize);
    const out = this.output;
    for (let i = 0; i < out.length; i++) {
      const v = input[i];
      out[i] = Math.max(v, 0);
    }
    return out;
  }

  backward(gradOutput: Float32Array, batch: number): Float32Array {
    this.gradInput = sized(this.gradInput, batch * this.outputSize);
    const gx = this.gradInput;
    const out = this.output;
    for (let i = 0; i < gx.length; i++) gx[i] = out[i] > 0 ? gradOutput[i] : 0;
    return gx;
  }
}
