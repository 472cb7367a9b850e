/**
 * Causal multi-head self-attention over one sequence: q, k, v are [T, C] with heads of
 * D = C / H side by side; position t attends to positions 0..t. The 1/√D scale is expected
 * to be folded into q already.
 */
export interface AttentionCache {
  /** Softmax weights per head, [H, T, T] (zero above the diagonal). */
  readonly weights: Float32Array;
}

export function causalAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  T: number,
  C: number,
  H: number,
) {
  const D = C / H;
  const weights = new Float32Array(H * T * T);
  const out = new Float32Array(T * C);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const w = h * T * T + t * T;
      let max = Number.NEGATIVE_INFINITY;
      for (let s = 0; s <= t; s++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[t * C + h * D + d]! * k[s * C + h * D + d]!;
        weights[w + s] = dot;
        max = Math.max(max, dot);
      }
      let sum = 0;
      for (let s = 0; s <= t; s++) {
        const e = Math.exp(weights[w + s]! - max);
        weights[w + s] = e;
        sum += e;
      }
      for (let s = 0; s <= t; s++) {
        const p = weights[w + s]! / sum;
        weights[w + s] = p;
        for (let d = 0; d < D; d++) out[t * C + h * D + d]! += p * v[s * C + h * D + d]!;
      }
    }
  }
  return { out, cache: { weights } };
}

export function causalAttentionBackward(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  cache: AttentionCache,
  dOut: Float32Array,
  T: number,
  C: number,
  H: number,
) {
  const D = C / H;
  const dq = new Float32Array(T * C);
  const dk = new Float32Array(T * C);
  const dv = new Float32Array(T * C);
  const dp = new Float32Array(T);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const w = h * T * T + t * T;
      let dot = 0;
      for (let s = 0; s <= t; s++) {
        let g = 0;
        const p = cache.weights[w + s]!;
        for (let d = 0; d < D; d++) {
          const go = dOut[t * C + h * D + d]!;
          g += go * v[s * C + h * D + d]!;
          dv[s * C + h * D + d]! += p * go;
        }
        dp[s] = g;
        dot += g * p;
      }
      for (let s = 0; s <= t; s++) {
        const ds = cache.weights[w + s]! * (dp[s]! - dot);
        for (let d = 0; d < D; d++) {
          dq[t * C + h * D + d]! += ds * k[s * C + h * D + d]!;
          dk[s * C + h * D + d]! += ds * q[t * C + h * D + d]!;
        }
      }
    }
  }
  return { dq, dk, dv };
}
