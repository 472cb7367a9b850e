import { createParam, type Param, sized } from '../param.js';
import type { LayerOps } from './layer.js';

/**
 * Per-channel batch normalization over NCHW. Training normalizes with the batch's statistics and
 * updates running estimates (PyTorch convention: momentum weights the new batch, running variance is
 * unbiased); inference uses the running estimates, as ONNX BatchNormalization does.
 */
export class BatchNorm2d implements LayerOps {
  readonly kind = 'batchnorm2d';
  readonly scale: Param;
  readonly shift: Param;
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;
  private output = new Float32Array(0);
  private normalized = new Float32Array(0);
  private invStd: Float32Array;
  private gradInput = new Float32Array(0);

  constructor(
    readonly name: string,
    readonly channels: number,
    readonly height: number,
    readonly width: number,
    readonly momentum = 0.1,
    readonly epsilon = 1e-5,
  ) {
    this.scale = createParam(`${name}.scale`, [channels], new Float32Array(channels).fill(1));
    this.shift = createParam(`${name}.bias`, [channels], new Float32Array(channels));
    this.runningMean = new Float32Array(channels);
    this.runningVar = new Float32Array(channels).fill(1);
    this.invStd = new Float32Array(channels);
  }

  get outputSize(): number {
    return this.channels * this.height * this.width;
  }

  params(): Param[] {
    return [this.scale, this.shift];
  }

  forward(input: Float32Array, batch: number, training: boolean): Float32Array {
    return training ? this.forwardTraining(input, batch) : this.forwardInference(input, batch);
  }

  private forwardInference(input: Float32Array, batch: number): Float32Array {
    const C = this.channels;
    const HW = this.height * this.width;
    this.output = sized(this.output, batch * C * HW);
    const out = this.output;
    for (let c = 0; c < C; c++) {
      const a = this.scale.value[c] / Math.sqrt(this.runningVar[c] + this.epsilon);
      const b = this.shift.value[c] - a * this.runningMean[c];
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * HW;
        for (let p = 0; p < HW; p++) out[base + p] = a * input[base + p] + b;
      }
    }
    return out;
  }

  private forwardTraining(input: Float32Array, batch: number): Float32Array {
    const C = this.channels;
    const HW = this.height * this.width;
    const count = batch * HW;
    this.output = sized(this.output, batch * C * HW);
    const out = this.output;
    this.normalized = sized(this.normalized, batch * C * HW);
    const xhat = this.normalized;
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * HW;
        for (let p = 0; p < HW; p++) sum += input[base + p];
      }
      const mean = sum / count;
      let squares = 0;
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * HW;
        for (let p = 0; p < HW; p++) {
          const d = input[base + p] - mean;
          squares += d * d;
        }
      }
      const variance = squares / count;
      const invStd = 1 / Math.sqrt(variance + this.epsilon);
      this.invStd[c] = invStd;
      const gamma = this.scale.value[c];
      const beta = this.shift.value[c];
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * HW;
        for (let p = 0; p < HW; p++) {
          const h = (input[base + p] - mean) * invStd;
          xhat[base + p] = h;
          out[base + p] = gamma * h + beta;
        }
      }
      const unbiased = count > 1 ? squares / (count - 1) : variance;
      this.runningMean[c] = (1 - this.momentum) * this.runningMean[c] + this.momentum * mean;
      this.runningVar[c] = (1 - this.momentum) * this.runningVar[c] + this.momentum * unbiased;
    }
    return out;
  }

  backward(gradOutput: Float32Array, batch: number): Float32Array {
    const C = this.channels;
    const HW = this.height * this.width;
    const count = batch * HW;
    const xhat = this.normalized;
    this.gradInput = sized(this.gradInput, batch * C * HW);
    const gx = this.gradInput;
    for (let c = 0; c < C; c++) {
      let gradShift = 0;
      let gradScale = 0;
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * HW;
        for (let p = 0; p < HW; p++) {
          const g = gradOutput[base + p];
          gradShift += g;
          gradScale += g * xhat[base + p];
        }
      }
      this.shift.grad[c] = gradShift;
      this.scale.grad[c] = gradScale;
      const k = (this.scale.value[c] * this.invStd[c]) / count;
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * HW;
        for (let p = 0; p < HW; p++) {
          gx[base + p] = k * (count * gradOutput[base + p] - gradShift - xhat[base + p] * gradScale);
        }
      }
    }
    return gx;
  }
}
