import { type OnnxModelSpec, type OnnxNodeSpec, writeOnnx } from '@stoa/ir';
import { queryScale } from '../train/gpt.js';
import { LAYER_NORM_EPSILON } from '../train/kernels.js';
import type { BlockParams, GptParams, Param } from '../train/params.js';

export const ONNX_INPUT_NAME = 'tokens';
export const ONNX_OUTPUT_NAME = 'logits';
/** Opset 20: the first with `Gelu` (approximate = 'tanh'). */
const OPSET = 20;
/** Added to the scores of future positions before the softmax: exp underflows to exactly 0. */
export const MASKED_SCORE = -1e9;

type Initializer = OnnxModelSpec['initializers'][number];

/** Accumulates nodes and initializers; each helper returns the name of the value it computes. */
class GraphWriter {
  readonly nodes: OnnxNodeSpec[] = [];
  readonly initializers: Initializer[] = [];

  constant(name: string, shape: readonly number[], data: ArrayLike<number>, dtype?: 'int64'): string {
    this.initializers.push({ name, shape, data, ...(dtype ? { dtype } : {}) });
    return name;
  }

  param(p: Param, scale = 1): string {
    return this.constant(p.name, p.shape, scale === 1 ? p.value : p.value.map((v) => v * scale));
  }

  node(op: string, name: string, inputs: string[], attrs: OnnxNodeSpec['attrs'] = {}): string {
    this.nodes.push({ op, name, inputs, outputs: [name], attrs });
    return name;
  }

  /** The written-out layer norm over the last axis that Stoa's importer fuses into `LayerNorm`. */
  layerNorm(name: string, x: string, gain: Param, bias: Param): string {
    const axes = this.constant(`${name}.axes`, [1], [-1], 'int64');
    const mean = this.node('ReduceMean', `${name}.mean`, [x, axes]);
    const centered = this.node('Sub', `${name}.centered`, [x, mean]);
    const two = this.constant(`${name}.two`, [], [2]);
    const squared = this.node('Pow', `${name}.squared`, [centered, two]);
    const variance = this.node('ReduceMean', `${name}.variance`, [squared, axes]);
    const eps = this.constant(`${name}.epsilon`, [], [LAYER_NORM_EPSILON]);
    const std = this.node('Sqrt', `${name}.std`, [this.node('Add', `${name}.var_eps`, [variance, eps])]);
    const normalized = this.node('Div', `${name}.normalized`, [centered, std]);
    const scaled = this.node('Mul', `${name}.scaled`, [normalized, this.param(gain)]);
    return this.node('Add', name, [scaled, this.param(bias)]);
  }

  linear(name: string, x: string, w: Param, b: Param | null, scale = 1): string {
    const product = this.node('MatMul', b ? `${name}.matmul` : name, [x, this.param(w, scale)]);
    return b ? this.node('Add', name, [product, this.param(b, scale)]) : product;
  }
}

function attention(g: GraphWriter, model: GptParams, l: number, p: BlockParams, x: string, mask: string) {
  const { context: T, width: C, heads: H } = model.config;
  const D = C / H;
  const name = (s: string) => `h${l}.attn.${s}`;
  const heads = g.constant(name('heads_shape'), [4], [1, T, H, D], 'int64');
  const split = (s: string, w: Param, b: Param, scale: number, perm: number[]) =>
    g.node(
      'Transpose',
      name(`${s}_heads`),
      [g.node('Reshape', name(`${s}_split`), [g.linear(name(s), x, w, b, scale), heads])],
      {
        perm,
      },
    );
  const q = split('q', p.wq, p.bq, queryScale(model), [0, 2, 1, 3]);
  const kT = split('k', p.wk, p.bk, 1, [0, 2, 3, 1]);
  const v = split('v', p.wv, p.bv, 1, [0, 2, 1, 3]);
  const scores = g.node('MatMul', name('scores'), [q, kT]);
  const masked = g.node('Add', name('masked'), [scores, mask]);
  const weights = g.node('Softmax', name('weights'), [masked], { axis: -1 });
  const mixed = g.node('MatMul', name('mixed'), [weights, v]);
  const merged = g.node('Transpose', name('merged'), [mixed], { perm: [0, 2, 1, 3] });
  const flat = g.node('Reshape', name('flat'), [
    merged,
    g.constant(name('flat_shape'), [3], [1, T, C], 'int64'),
  ]);
  return g.linear(name('out'), flat, p.wo, p.bo);
}

function block(g: GraphWriter, model: GptParams, l: number, x: string, mask: string): string {
  const p = model.blocks[l]!;
  const h1 = g.layerNorm(`h${l}.ln1`, x, p.ln1Gain, p.ln1Bias);
  const afterAttention = g.node('Add', `h${l}.residual1`, [x, attention(g, model, l, p, h1, mask)]);
  const h2 = g.layerNorm(`h${l}.ln2`, afterAttention, p.ln2Gain, p.ln2Bias);
  const up = g.linear(`h${l}.mlp.up`, h2, p.w1, p.b1);
  const act = g.node('Gelu', `h${l}.mlp.gelu`, [up], { approximate: 'tanh' });
  const down = g.linear(`h${l}.mlp.down`, act, p.w2, p.b2);
  return g.node('Add', `h${l}.residual2`, [afterAttention, down]);
}

/**
 * The GPT as an ONNX model over one window of `context` token ids [1, T] (int64) to logits
 * [1, T, vocab]: Gather embeddings, pre-norm blocks with causal attention (an additive mask of
 * MASKED_SCORE above the diagonal), tanh-GELU MLPs, a final layer norm and the output head.
 */
export function exportOnnx(model: GptParams): Uint8Array {
  const { context: T, vocab } = model.config;
  const g = new GraphWriter();
  const tokenEmbeddings = g.node('Gather', 'wte.gather', [g.param(model.tokenEmbedding), ONNX_INPUT_NAME], {
    axis: 0,
  });
  const positions = g.constant(
    'positions',
    [1, T],
    Array.from({ length: T }, (_, t) => t),
    'int64',
  );
  const positionEmbeddings = g.node('Gather', 'wpe.gather', [g.param(model.positionEmbedding), positions], {
    axis: 0,
  });
  const mask = g.constant(
    'causal_mask',
    [T, T],
    Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? MASKED_SCORE : 0)),
  );
  let x = g.node('Add', 'embeddings', [tokenEmbeddings, positionEmbeddings]);
  for (let l = 0; l < model.blocks.length; l++) x = block(g, model, l, x, mask);
  const hf = g.layerNorm('lnf', x, model.lnfGain, model.lnfBias);
  g.nodes.push({
    op: 'MatMul',
    name: 'head',
    inputs: [hf, g.param(model.head)],
    outputs: [ONNX_OUTPUT_NAME],
  });
  return writeOnnx({
    name: 'gpt',
    opset: OPSET,
    inputs: [{ name: ONNX_INPUT_NAME, shape: [1, T], dtype: 'int64' }],
    outputs: [{ name: ONNX_OUTPUT_NAME, shape: [1, T, vocab] }],
    nodes: g.nodes,
    initializers: g.initializers,
  });
}
