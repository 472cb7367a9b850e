import { Clip, HardSigmoid } from './activation.js';
import { BatchMatMul, LayerNorm, ReduceMean } from './attention.js';
import { CausalSoftmax } from './causal-softmax.js';
import { Conv } from './conv.js';
import { ConvAccumulate, ConvTransposeAccumulate } from './conv-accumulate.js';
import { Add, Mul, Relu, Requantize, Sub } from './elementwise.js';
import { Gather } from './gather.js';
import { Gelu } from './gelu.js';
import { Concat, Reshape, Transpose } from './layout.js';
import { MatMul } from './matmul.js';
import { Sigmoid, Softmax, Tanh } from './nonlinear.js';
import type { OpDefinition } from './op.js';
import { AveragePool, GlobalAveragePool, MaxPool } from './pool.js';
import { Slice } from './slice.js';
import { SegmentMax, SoftmaxNormalize, SoftmaxSegmentSum } from './softmax-segments.js';
import { ConvTranspose, Resize } from './upsample.js';

/**
 * Version of the op set's semantics. It is part of every modelId: changing any kernel's
 * arithmetic, an attribute default or a tile rule requires a new version.
 */
export const OPSET_VERSION = 2;

const ALL: readonly OpDefinition[] = [
  Add,
  Sub,
  Mul,
  Relu,
  Requantize,
  MatMul,
  Conv,
  MaxPool,
  AveragePool,
  GlobalAveragePool,
  Reshape,
  Transpose,
  Concat,
  Softmax,
  Sigmoid,
  Tanh,
  Clip,
  HardSigmoid,
  BatchMatMul,
  ReduceMean,
  Slice,
  LayerNorm,
  Gather,
  Gelu,
  CausalSoftmax,
  Resize,
  ConvTranspose,
  SegmentMax,
  SoftmaxSegmentSum,
  SoftmaxNormalize,
  ConvAccumulate,
  ConvTransposeAccumulate,
];

const BY_NAME = new Map(ALL.map((op) => [op.name, op]));
const BY_CODE = new Map(ALL.map((op) => [op.code, op]));

export function opNames(): string[] {
  return ALL.map((op) => op.name);
}

export function findOp(name: string): OpDefinition | undefined {
  return BY_NAME.get(name);
}

export function opByCode(code: number): OpDefinition | undefined {
  return BY_CODE.get(code);
}
