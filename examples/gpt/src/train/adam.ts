import type { Param } from './params.js';

/** Adam with global gradient-norm clipping, the optimizer GPT-style models are trained with. */
export class Adam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private steps = 0;

  constructor(
    private readonly params: readonly Param[],
    private readonly clipNorm = 1,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.99,
  ) {
    this.m = params.map((p) => new Float32Array(p.value.length));
    this.v = params.map((p) => new Float32Array(p.value.length));
  }

  step(learningRate: number): void {
    this.steps++;
    let norm = 0;
    for (const p of this.params) for (const g of p.grad) norm += g * g;
    const clip = Math.min(1, this.clipNorm / (Math.sqrt(norm) + 1e-12));
    const c1 = 1 - this.beta1 ** this.steps;
    const c2 = 1 - this.beta2 ** this.steps;
    this.params.forEach(({ value, grad }, j) => {
      const m = this.m[j]!;
      const v = this.v[j]!;
      for (let i = 0; i < value.length; i++) {
        const g = grad[i]! * clip;
        m[i] = this.beta1 * m[i]! + (1 - this.beta1) * g;
        v[i] = this.beta2 * v[i]! + (1 - this.beta2) * g * g;
        value[i]! -= (learningRate * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + 1e-8);
      }
    });
  }
}
