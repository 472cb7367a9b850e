import { type Param, sized } from '../param.js';
import type { LayerOps } from './layer.js';

/** 2x2 max pooling with stride 2 over NCHW input with even height and width. */
export class MaxPool2d implements LayerOps {
  readonly kind = 'maxpool2d';
  readonly kernelSize = 2;
  readonly stride = 2;
  readonly outHeight: number;
  readonly outWidth: number;
  private output = new Float32Array(0);
  /** For each output element, the flat input index that won the max. */
  private argmax = new Int32Array(0);
  private gradInput = new Float32Array(0);

  constructor(
    readonly name: string,
    readonly channels: number,
    readonly height: number,
    readonly width: number,
  ) {
    if (height % 2 !== 0 || width % 2 !== 0) {
      throw new Error(`${name}: 2x2 pooling needs even sizes, got ${height}x${width}`);
    }
    this.outHeight = height / 2;
    this.outWidth = width / 2;
  }

  get outputSize(): number {
    return this.channels * this.outHeight * this.outWidth;
  }

  params(): Param[] {
    return [];
  }

  forward(input: Float32Array, batch: number): Float32Array {
    const W = this.width;
    const OH = this.outHeight;
    const OW = this.outWidth;
    const planes = batch * this.channels;
    this.output = sized(this.output, planes * OH * OW);
    const out = this.output;
    if (this.argmax.length !== out.length) this.argmax = new Int32Array(out.length);
    const argmax = this.argmax;
    let o = 0;
    for (let p = 0; p < planes; p++) {
      const planeBase = p * this.height * W;
      for (let y = 0; y < OH; y++) {
        const rowBase = planeBase + 2 * y * W;
        for (let x = 0; x < OW; x++, o++) {
          const i00 = rowBase + 2 * x;
          let best = i00;
          if (input[i00 + 1] > input[best]) best = i00 + 1;
          if (input[i00 + W] > input[best]) best = i00 + W;
          if (input[i00 + W + 1] > input[best]) best = i00 + W + 1;
          argmax[o] = best;
          out[o] = input[best];
        }
      }
    }
    return out;
  }

  backward(gradOutput: Float32Array, batch: number): Float32Array {
    this.gradInput = sized(this.gradInput, batch * this.channels * this.height * this.width);
    const gx = this.gradInput;
    gx.fill(0);
    const argmax = this.argmax;
    for (let o = 0; o < gradOutput.length; o++) gx[argmax[o]] += gradOutput[o];
    return gx;
  }
}
