import { createParam, type Param, sized } from '../param.js';
import { heNormal, type Random } from '../random.js';
import type { LayerOps } from './layer.js';

/** Fully connected layer y = x W^T + b, W stored [out, in] (ONNX Gemm with transB=1). */
export class Dense implements LayerOps {
  readonly kind = 'dense';
  readonly weight: Param;
  readonly bias: Param;
  private input: Float32Array = new Float32Array(0);
  private output = new Float32Array(0);
  private gradInput = new Float32Array(0);

  constructor(
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    random: Random,
  ) {
    this.weight = createParam(
      `${name}.weight`,
      [outFeatures, inFeatures],
      heNormal(random, outFeatures * inFeatures, inFeatures),
    );
    this.bias = createParam(`${name}.bias`, [outFeatures], new Float32Array(outFeatures));
  }

  get outputSize(): number {
    return this.outFeatures;
  }

  params(): Param[] {
    return [this.weight, this.bias];
  }

  forward(input: Float32Array, batch: number): Float32Array {
    const I = this.inFeatures;
    const O = this.outFeatures;
    const w = this.weight.value;
    const b = this.bias.value;
    this.output = sized(this.output, batch * O);
    const out = this.output;
    this.input = input;
    let n = 0;
    // Four samples per pass so each weight row is read once for four dot products.
    for (; n + 4 <= batch; n += 4) {
      const x0 = n * I;
      const x1 = x0 + I;
      const x2 = x1 + I;
      const x3 = x2 + I;
      for (let o = 0; o < O; o++) {
        const wo = o * I;
        let s0 = b[o];
        let s1 = s0;
        let s2 = s0;
        let s3 = s0;
        for (let i = 0; i < I; i++) {
          const wi = w[wo + i];
          s0 += input[x0 + i] * wi;
          s1 += input[x1 + i] * wi;
          s2 += input[x2 + i] * wi;
          s3 += input[x3 + i] * wi;
        }
        out[n * O + o] = s0;
        out[(n + 1) * O + o] = s1;
        out[(n + 2) * O + o] = s2;
        out[(n + 3) * O + o] = s3;
      }
    }
    for (; n < batch; n++) {
      const xn = n * I;
      for (let o = 0; o < O; o++) {
        const wo = o * I;
        let s = b[o];
        for (let i = 0; i < I; i++) s += input[xn + i] * w[wo + i];
        out[n * O + o] = s;
      }
    }
    return out;
  }

  backward(gradOutput: Float32Array, batch: number, needInputGrad: boolean): Float32Array | null {
    this.accumulateParamGrads(gradOutput, batch);
    return needInputGrad ? this.inputGrad(gradOutput, batch) : null;
  }

  private accumulateParamGrads(gradOutput: Float32Array, batch: number): void {
    const I = this.inFeatures;
    const O = this.outFeatures;
    const x = this.input;
    const gw = this.weight.grad;
    const gb = this.bias.grad;
    gw.fill(0);
    gb.fill(0);
    let n = 0;
    // Four samples per pass so each gradient row is read and written once for four updates.
    for (; n + 4 <= batch; n += 4) {
      const x0 = n * I;
      const x1 = x0 + I;
      const x2 = x1 + I;
      const x3 = x2 + I;
      for (let o = 0; o < O; o++) {
        const g0 = gradOutput[n * O + o];
        const g1 = gradOutput[(n + 1) * O + o];
        const g2 = gradOutput[(n + 2) * O + o];
        const g3 = gradOutput[(n + 3) * O + o];
        // Gradients behind a ReLU are often exact zeros for all four samples.
        if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue;
        gb[o] += g0 + g1 + g2 + g3;
        const wo = o * I;
        for (let i = 0; i < I; i++) {
          gw[wo + i] += g0 * x[x0 + i] + g1 * x[x1 + i] + g2 * x[x2 + i] + g3 * x[x3 + i];
        }
      }
    }
    for (; n < batch; n++) {
      const xn = n * I;
      for (let o = 0; o < O; o++) {
        const g = gradOutput[n * O + o];
        if (g === 0) continue;
        gb[o] += g;
        const wo = o * I;
        for (let i = 0; i < I; i++) gw[wo + i] += g * x[xn + i];
      }
    }
  }

  private inputGrad(gradOutput: Float32Array, batch: number): Float32Array {
    const I = this.inFeatures;
    const O = this.outFeatures;
    const w = this.weight.value;
    this.gradInput = sized(this.gradInput, batch * I);
    const gx = this.gradInput;
    gx.fill(0);
    for (let n = 0; n < batch; n++) {
      const xn = n * I;
      const gn = n * O;
      let o = 0;
      // Four weight rows per pass so each input-gradient row is read and written once for four updates.
      for (; o + 4 <= O; o += 4) {
        const g0 = gradOutput[gn + o];
        const g1 = gradOutput[gn + o + 1];
        const g2 = gradOutput[gn + o + 2];
        const g3 = gradOutput[gn + o + 3];
        if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue;
        const w0 = o * I;
        const w1 = w0 + I;
        const w2 = w1 + I;
        const w3 = w2 + I;
        for (let i = 0; i < I; i++) {
          gx[xn + i] += g0 * w[w0 + i] + g1 * w[w1 + i] + g2 * w[w2 + i] + g3 * w[w3 + i];
        }
      }
      for (; o < O; o++) {
        const g = gradOutput[gn + o];
        if (g === 0) continue;
        const wo = o * I;
        for (let i = 0; i < I; i++) gx[xn + i] += g * w[wo + i];
      }
    }
    return gx;
  }
}
