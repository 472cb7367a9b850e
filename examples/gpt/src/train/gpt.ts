import { type AttentionCache, causalAttention, causalAttentionBackward } from './attention.js';
import {
  add,
  gelu,
  geluBackward,
  type LayerNormCache,
  layerNorm,
  layerNormBackward,
  linear,
  linearBackward,
} from './kernels.js';
import type { BlockParams, GptParams } from './params.js';

/**
 * The GPT's float forward pass over one sequence of tokens (pre-norm blocks: x + attn(ln1(x)),
 * then x + mlp(ln2(x))), and its backward pass for training.
 */

interface BlockCache {
  readonly input: Float32Array;
  readonly ln1: LayerNormCache;
  readonly h1: Float32Array;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly attention: AttentionCache;
  readonly mixed: Float32Array;
  readonly afterAttention: Float32Array;
  readonly ln2: LayerNormCache;
  readonly h2: Float32Array;
  readonly preGelu: Float32Array;
  readonly postGelu: Float32Array;
}

export interface ForwardCache {
  readonly tokens: ArrayLike<number>;
  readonly blocks: BlockCache[];
  readonly final: Float32Array;
  readonly lnf: LayerNormCache;
  readonly hf: Float32Array;
}

/** Scale of attention scores, 1/√D; folded into q's projection (also in the exported ONNX). */
export function queryScale(model: GptParams): number {
  return 1 / Math.sqrt(model.config.width / model.config.heads);
}

function blockForward(model: GptParams, p: BlockParams, input: Float32Array, T: number) {
  const { width: C, heads: H, hidden } = model.config;
  const scale = queryScale(model);
  const ln1 = layerNorm(input, p.ln1Gain.value, p.ln1Bias.value, T, C);
  const q = linear(ln1.y, p.wq.value, p.bq.value, T, C, C).map((v) => v * scale);
  const k = linear(ln1.y, p.wk.value, p.bk.value, T, C, C);
  const v = linear(ln1.y, p.wv.value, p.bv.value, T, C, C);
  const attention = causalAttention(q, k, v, T, C, H);
  const afterAttention = add(input, linear(attention.out, p.wo.value, p.bo.value, T, C, C));
  const ln2 = layerNorm(afterAttention, p.ln2Gain.value, p.ln2Bias.value, T, C);
  const preGelu = linear(ln2.y, p.w1.value, p.b1.value, T, C, hidden);
  const postGelu = gelu(preGelu);
  const output = add(afterAttention, linear(postGelu, p.w2.value, p.b2.value, T, hidden, C));
  const cache: BlockCache = {
    input,
    ln1: ln1.cache,
    h1: ln1.y,
    q,
    k,
    v,
    attention: attention.cache,
    mixed: attention.out,
    afterAttention,
    ln2: ln2.cache,
    h2: ln2.y,
    preGelu,
    postGelu,
  };
  return { output, cache };
}

/** Logits [T, vocab] for `tokens` (T ≤ context). */
export function forward(model: GptParams, tokens: ArrayLike<number>) {
  const { width: C, vocab } = model.config;
  const T = tokens.length;
  let x: Float32Array = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    const tok = tokens[t]!;
    for (let j = 0; j < C; j++)
      x[t * C + j] = model.tokenEmbedding.value[tok * C + j]! + model.positionEmbedding.value[t * C + j]!;
  }
  const blocks: BlockCache[] = [];
  for (const p of model.blocks) {
    const { output, cache } = blockForward(model, p, x, T);
    blocks.push(cache);
    x = output;
  }
  const lnf = layerNorm(x, model.lnfGain.value, model.lnfBias.value, T, C);
  const logits = linear(lnf.y, model.head.value, null, T, C, vocab);
  return { logits, cache: { tokens, blocks, final: x, lnf: lnf.cache, hf: lnf.y } satisfies ForwardCache };
}

function blockBackward(model: GptParams, p: BlockParams, c: BlockCache, dOut: Float32Array, T: number) {
  const { width: C, heads: H, hidden } = model.config;
  const dPost = linearBackward(c.postGelu, p.w2.value, dOut, p.w2.grad, p.b2.grad, T, hidden, C);
  const dPre = geluBackward(c.preGelu, dPost);
  const dh2 = linearBackward(c.h2, p.w1.value, dPre, p.w1.grad, p.b1.grad, T, C, hidden);
  const dAfter = add(
    dOut,
    layerNormBackward(c.ln2, p.ln2Gain.value, dh2, p.ln2Gain.grad, p.ln2Bias.grad, T, C),
  );
  const dMixed = linearBackward(c.mixed, p.wo.value, dAfter, p.wo.grad, p.bo.grad, T, C, C);
  const { dq, dk, dv } = causalAttentionBackward(c.q, c.k, c.v, c.attention, dMixed, T, C, H);
  const scale = queryScale(model);
  const dqRaw = dq.map((g) => g * scale);
  const dh1 = linearBackward(c.h1, p.wq.value, dqRaw, p.wq.grad, p.bq.grad, T, C, C);
  const dhk = linearBackward(c.h1, p.wk.value, dk, p.wk.grad, p.bk.grad, T, C, C);
  const dhv = linearBackward(c.h1, p.wv.value, dv, p.wv.grad, p.bv.grad, T, C, C);
  for (let i = 0; i < dh1.length; i++) dh1[i]! += dhk[i]! + dhv[i]!;
  return add(dAfter, layerNormBackward(c.ln1, p.ln1Gain.value, dh1, p.ln1Gain.grad, p.ln1Bias.grad, T, C));
}

/** Accumulates every parameter's gradient from dLogits [T, vocab]. */
export function backward(model: GptParams, cache: ForwardCache, dLogits: Float32Array): void {
  const { width: C, vocab } = model.config;
  const T = cache.tokens.length;
  const dhf = linearBackward(cache.hf, model.head.value, dLogits, model.head.grad, null, T, C, vocab);
  let dx = layerNormBackward(
    cache.lnf,
    model.lnfGain.value,
    dhf,
    model.lnfGain.grad,
    model.lnfBias.grad,
    T,
    C,
  );
  for (let l = model.blocks.length - 1; l >= 0; l--) {
    dx = blockBackward(model, model.blocks[l]!, cache.blocks[l]!, dx, T);
  }
  for (let t = 0; t < T; t++) {
    const tok = cache.tokens[t]!;
    for (let j = 0; j < C; j++) {
      model.tokenEmbedding.grad[tok * C + j]! += dx[t * C + j]!;
      model.positionEmbedding.grad[t * C + j]! += dx[t * C + j]!;
    }
  }
}

/**
 * Mean cross-entropy (nats) of predicting targets[t] from logits row t, and its gradient
 * dLogits scaled by `gradScale` (1 / tokens in the batch).
 */
export function crossEntropy(
  logits: Float32Array,
  targets: ArrayLike<number>,
  vocab: number,
  gradScale: number,
) {
  const T = targets.length;
  const dLogits = new Float32Array(T * vocab);
  let loss = 0;
  for (let t = 0; t < T; t++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < vocab; j++) max = Math.max(max, logits[t * vocab + j]!);
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[t * vocab + j]! - max);
    const target = targets[t]!;
    loss += Math.log(sum) - (logits[t * vocab + target]! - max);
    for (let j = 0; j < vocab; j++) {
      const p = Math.exp(logits[t * vocab + j]! - max) / sum;
      dLogits[t * vocab + j] = (p - (j === target ? 1 : 0)) * gradScale;
    }
  }
  return { loss: loss / T, dLogits };
}
