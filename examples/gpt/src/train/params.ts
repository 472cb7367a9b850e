import { Random } from '@stoa/ir';

/** A trainable tensor with its gradient (accumulated over a batch, cleared by `zeroGrads`). */
export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

export interface GptConfig {
  readonly vocab: number;
  /** Positions per sequence (the context window). */
  readonly context: number;
  readonly width: number;
  readonly heads: number;
  readonly layers: number;
  readonly hidden: number;
}

export interface BlockParams {
  readonly ln1Gain: Param;
  readonly ln1Bias: Param;
  readonly wq: Param;
  readonly bq: Param;
  readonly wk: Param;
  readonly bk: Param;
  readonly wv: Param;
  readonly bv: Param;
  readonly wo: Param;
  readonly bo: Param;
  readonly ln2Gain: Param;
  readonly ln2Bias: Param;
  readonly w1: Param;
  readonly b1: Param;
  readonly w2: Param;
  readonly b2: Param;
}

export interface GptParams {
  readonly config: GptConfig;
  readonly tokenEmbedding: Param;
  readonly positionEmbedding: Param;
  readonly blocks: readonly BlockParams[];
  readonly lnfGain: Param;
  readonly lnfBias: Param;
  readonly head: Param;
}

function standardNormal(random: Random): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

/** GPT-2's initialization: N(0, 0.02) weights, residual projections scaled by 1/√(2·layers). */
export function initGpt(config: GptConfig, seed: number): GptParams {
  const random = new Random(seed);
  const make = (name: string, shape: number[], std: number, fill = 0): Param => {
    const size = shape.reduce((a, b) => a * b, 1);
    const value = new Float32Array(size);
    for (let i = 0; i < size; i++) value[i] = std > 0 ? standardNormal(random) * std : fill;
    return { name, shape, value, grad: new Float32Array(size) };
  };
  const { vocab, context, width: C, hidden, layers } = config;
  const residualStd = 0.02 / Math.sqrt(2 * layers);
  const blocks = Array.from({ length: layers }, (_, l) => {
    const p = (s: string) => `h${l}.${s}`;
    return {
      ln1Gain: make(p('ln1.gain'), [C], 0, 1),
      ln1Bias: make(p('ln1.bias'), [C], 0),
      wq: make(p('attn.wq'), [C, C], 0.02),
      bq: make(p('attn.bq'), [C], 0),
      wk: make(p('attn.wk'), [C, C], 0.02),
      bk: make(p('attn.bk'), [C], 0),
      wv: make(p('attn.wv'), [C, C], 0.02),
      bv: make(p('attn.bv'), [C], 0),
      wo: make(p('attn.wo'), [C, C], residualStd),
      bo: make(p('attn.bo'), [C], 0),
      ln2Gain: make(p('ln2.gain'), [C], 0, 1),
      ln2Bias: make(p('ln2.bias'), [C], 0),
      w1: make(p('mlp.w1'), [C, hidden], 0.02),
      b1: make(p('mlp.b1'), [hidden], 0),
      w2: make(p('mlp.w2'), [hidden, C], residualStd),
      b2: make(p('mlp.b2'), [C], 0),
    };
  });
  return {
    config,
    tokenEmbedding: make('wte', [vocab, C], 0.02),
    positionEmbedding: make('wpe', [context, C], 0.01),
    blocks,
    lnfGain: make('lnf.gain', [C], 0, 1),
    lnfBias: make('lnf.bias', [C], 0),
    head: make('head', [C, vocab], 0.02),
  };
}

export function allParams(model: GptParams): Param[] {
  return [
    model.tokenEmbedding,
    model.positionEmbedding,
    ...model.blocks.flatMap((b) => Object.values(b) as Param[]),
    model.lnfGain,
    model.lnfBias,
    model.head,
  ];
}

export function zeroGrads(params: readonly Param[]): void {
  for (const p of params) p.grad.fill(0);
}

export function parameterCount(model: GptParams): number {
  return allParams(model).reduce((n, p) => n + p.value.length, 0);
}
