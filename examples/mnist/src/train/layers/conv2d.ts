import { accumulateConv3x3, accumulateKernelGrad3x3, copyIntoPadded } from '../conv3x3-kernels.js';
import { createParam, type Param, sized } from '../param.js';
import { heNormal, type Random } from '../random.js';
import type { LayerOps } from './layer.js';

const KERNEL = 3;
const TAPS = KERNEL * KERNEL;

/** 3x3 convolution, stride 1, zero padding 1 (output keeps the input's height and width), NCHW. */
export class Conv2d implements LayerOps {
  readonly kind = 'conv2d';
  readonly kernelSize = KERNEL;
  readonly padding = 1;
  readonly weight: Param;
  readonly bias: Param;
  /** The batch's input with a zero border, [N, Cin, H+2, W+2], kept for the weight gradient. */
  private paddedInput = new Float32Array(0);
  private output = new Float32Array(0);
  /** One sample's output gradient with a zero border, [Cout, H+2, W+2]. */
  private paddedGrad = new Float32Array(0);
  /** Weights flipped 180 degrees per (out, in) pair: the input gradient is a convolution with these. */
  private flippedWeight = new Float32Array(0);
  private gradInput = new Float32Array(0);

  constructor(
    readonly name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly height: number,
    readonly width: number,
    random: Random,
  ) {
    const fanIn = inChannels * TAPS;
    this.weight = createParam(
      `${name}.weight`,
      [outChannels, inChannels, KERNEL, KERNEL],
      heNormal(random, outChannels * fanIn, fanIn),
    );
    this.bias = createParam(`${name}.bias`, [outChannels], new Float32Array(outChannels));
  }

  get outputSize(): number {
    return this.outChannels * this.height * this.width;
  }

  params(): Param[] {
    return [this.weight, this.bias];
  }

  forward(input: Float32Array, batch: number): Float32Array {
    const H = this.height;
    const W = this.width;
    const HW = H * W;
    const paddedHW = (H + 2) * (W + 2);
    const Ci = this.inChannels;
    const Co = this.outChannels;
    const w = this.weight.value;
    const b = this.bias.value;
    this.paddedInput = sized(this.paddedInput, batch * Ci * paddedHW);
    const padded = this.paddedInput;
    this.output = sized(this.output, batch * Co * HW);
    const out = this.output;
    for (let plane = 0; plane < batch * Ci; plane++) {
      copyIntoPadded(input, plane * HW, padded, plane * paddedHW, H, W);
    }
    for (let n = 0; n < batch; n++) {
      for (let co = 0; co < Co; co++) {
        const outBase = (n * Co + co) * HW;
        out.fill(b[co], outBase, outBase + HW);
        for (let ci = 0; ci < Ci; ci++) {
          accumulateConv3x3(padded, (n * Ci + ci) * paddedHW, w, (co * Ci + ci) * TAPS, out, outBase, H, W);
        }
      }
    }
    return out;
  }

  backward(gradOutput: Float32Array, batch: number, needInputGrad: boolean): Float32Array | null {
    const H = this.height;
    const W = this.width;
    const HW = H * W;
    const paddedHW = (H + 2) * (W + 2);
    const Ci = this.inChannels;
    const Co = this.outChannels;
    const gw = this.weight.grad;
    const gb = this.bias.grad;
    gw.fill(0);
    gb.fill(0);
    for (let n = 0; n < batch; n++) {
      for (let co = 0; co < Co; co++) {
        const gBase = (n * Co + co) * HW;
        let sum = 0;
        for (let p = 0; p < HW; p++) sum += gradOutput[gBase + p];
        gb[co] += sum;
        for (let ci = 0; ci < Ci; ci++) {
          accumulateKernelGrad3x3(
            this.paddedInput,
            (n * Ci + ci) * paddedHW,
            gradOutput,
            gBase,
            gw,
            (co * Ci + ci) * TAPS,
            H,
            W,
          );
        }
      }
    }
    if (!needInputGrad) return null;
    const flipped = this.flipWeights();
    this.paddedGrad = sized(this.paddedGrad, Co * paddedHW);
    const paddedGrad = this.paddedGrad;
    this.gradInput = sized(this.gradInput, batch * Ci * HW);
    const gx = this.gradInput;
    gx.fill(0);
    for (let n = 0; n < batch; n++) {
      for (let co = 0; co < Co; co++) {
        copyIntoPadded(gradOutput, (n * Co + co) * HW, paddedGrad, co * paddedHW, H, W);
      }
      for (let ci = 0; ci < Ci; ci++) {
        for (let co = 0; co < Co; co++) {
          accumulateConv3x3(
            paddedGrad,
            co * paddedHW,
            flipped,
            (co * Ci + ci) * TAPS,
            gx,
            (n * Ci + ci) * HW,
            H,
            W,
          );
        }
      }
    }
    return gx;
  }

  private flipWeights(): Float32Array {
    const w = this.weight.value;
    this.flippedWeight = sized(this.flippedWeight, w.length);
    const flipped = this.flippedWeight;
    for (let pair = 0; pair < w.length; pair += TAPS) {
      for (let t = 0; t < TAPS; t++) flipped[pair + t] = w[pair + TAPS - 1 - t];
    }
    return flipped;
  }
}
