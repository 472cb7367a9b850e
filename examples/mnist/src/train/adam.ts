import type { Param } from './param.js';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam {
  private readonly firstMoments: Float32Array[];
  private readonly secondMoments: Float32Array[];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private steps = 0;

  constructor(
    private readonly params: readonly Param[],
    options: AdamOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.firstMoments = params.map((p) => new Float32Array(p.value.length));
    this.secondMoments = params.map((p) => new Float32Array(p.value.length));
  }

  step(learningRate: number): void {
    this.steps++;
    const { beta1, beta2, epsilon } = this;
    const correction1 = 1 - beta1 ** this.steps;
    const correction2 = 1 - beta2 ** this.steps;
    const stepSize = (learningRate * Math.sqrt(correction2)) / correction1;
    for (let j = 0; j < this.params.length; j++) {
      const { value, grad } = this.params[j];
      const m = this.firstMoments[j];
      const v = this.secondMoments[j];
      for (let i = 0; i < value.length; i++) {
        const g = grad[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        value[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + epsilon);
      }
    }
  }
}
