/**
 * Float32 kernels of the GPT's training pass over one sequence of T positions, each with its
 * backward. Row-major matrices; `+=` into gradients so a batch accumulates.
 */

/** y[n, m] = x[n, k] · w[k, m] (+ b[m]). */
export function linear(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  n: number,
  k: number,
  m: number,
) {
  const y = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    if (b) y.set(b, row);
    for (let t = 0; t < k; t++) {
      const xv = x[i * k + t]!;
      if (xv === 0) continue;
      const wrow = t * m;
      for (let j = 0; j < m; j++) y[row + j]! += xv * w[wrow + j]!;
    }
  }
  return y;
}

/** Accumulates dW and db; returns dx. */
export function linearBackward(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  db: Float32Array | null,
  n: number,
  k: number,
  m: number,
): Float32Array {
  const dx = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    if (db) for (let j = 0; j < m; j++) db[j]! += dy[row + j]!;
    for (let t = 0; t < k; t++) {
      const xv = x[i * k + t]!;
      const wrow = t * m;
      let acc = 0;
      for (let j = 0; j < m; j++) {
        const g = dy[row + j]!;
        dw[wrow + j]! += xv * g;
        acc += g * w[wrow + j]!;
      }
      dx[i * k + t] = acc;
    }
  }
  return dx;
}

export const LAYER_NORM_EPSILON = 1e-5;

export interface LayerNormCache {
  readonly normalized: Float32Array;
  readonly rstd: Float32Array;
}

/** y = (x − mean) / √(var + ε) · g + b over rows of c values. */
export function layerNorm(x: Float32Array, g: Float32Array, b: Float32Array, n: number, c: number) {
  const normalized = new Float32Array(n * c);
  const rstd = new Float32Array(n);
  const y = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < c; j++) mean += x[i * c + j]!;
    mean /= c;
    let variance = 0;
    for (let j = 0; j < c; j++) variance += (x[i * c + j]! - mean) ** 2;
    const r = 1 / Math.sqrt(variance / c + LAYER_NORM_EPSILON);
    rstd[i] = r;
    for (let j = 0; j < c; j++) {
      const v = (x[i * c + j]! - mean) * r;
      normalized[i * c + j] = v;
      y[i * c + j] = v * g[j]! + b[j]!;
    }
  }
  return { y, cache: { normalized, rstd } };
}

export function layerNormBackward(
  cache: LayerNormCache,
  g: Float32Array,
  dy: Float32Array,
  dg: Float32Array,
  db: Float32Array,
  n: number,
  c: number,
): Float32Array {
  const dx = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    let sumD = 0;
    let sumDX = 0;
    for (let j = 0; j < c; j++) {
      const xhat = cache.normalized[i * c + j]!;
      const d = dy[i * c + j]! * g[j]!;
      dg[j]! += dy[i * c + j]! * xhat;
      db[j]! += dy[i * c + j]!;
      sumD += d;
      sumDX += d * xhat;
    }
    const r = cache.rstd[i]!;
    for (let j = 0; j < c; j++) {
      const xhat = cache.normalized[i * c + j]!;
      const d = dy[i * c + j]! * g[j]!;
      dx[i * c + j] = (r * (c * d - sumD - xhat * sumDX)) / c;
    }
  }
  return dx;
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** GELU, tanh form: x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))) (ONNX Gelu, approximate='tanh'). */
export function gelu(x: Float32Array): Float32Array {
  return x.map((v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + GELU_A * v * v * v))));
}

export function geluBackward(x: Float32Array, dy: Float32Array): Float32Array {
  return x.map((v, i) => {
    const t = Math.tanh(GELU_C * (v + GELU_A * v * v * v));
    const du = GELU_C * (1 + 3 * GELU_A * v * v);
    return dy[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
  });
}

export function add(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => v + b[i]!);
}
