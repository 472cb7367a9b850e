import { type DType, dtypeInfo } from '../dtype.js';
import { IrError } from '../errors.js';
import { EXP_FRAC, quantizeValue } from '../fixed-point.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Hypergraph, TensorType } from '../graph/types.js';
import { attrInt, attrInts, type FloatGraph, type FloatNode, type FloatTensor } from '../onnx/float-graph.js';
import { clipBounds, sliceStarts } from '../onnx/float-ops-extra.js';
import { batchNormAffine } from '../onnx/fold.js';
import { LAYER_NORM_LIMIT } from '../ops/attention.js';
import { Conv } from '../ops/conv.js';
import { inputChannelWeights } from '../ops/conv-accumulate.js';
import { FRAC_LIMIT, maxAbsOf, type OpDefinition } from '../ops/op.js';
import { SOFTMAX_SEGMENT } from '../ops/softmax-segments.js';
import { ConvTranspose } from '../ops/upsample.js';
import { formatShape, sizeOf } from '../tensor.js';
import { clipAttrs, hardSigmoidAttrs } from './activation-attrs.js';
import { fracFor, maxAbs } from './calibrate.js';
import { type ConvSplit, linkChannels } from './conv-split.js';
import { INTEGER_INPUT, lowerTextOp } from './lower-text.js';
import { lowerUpsampleOp, type UpsampleLoweringContext } from './lower-upsample.js';

export interface LowerOptions {
  /** Dtype of activations (wires between ops). i8 is the default; i16 trades speed for accuracy. */
  readonly activationDtype?: 'i8' | 'i16';
  /**
   * Activation fracs chosen by calibration (`calibrationFracs`), by value name; a value not
   * listed gets the largest frac at which its calibrated maximum fits.
   */
  readonly fracs?: ReadonlyMap<string, number>;
  /**
   * Activations of another dtype than `activationDtype`, by value name: mixed precision, e.g.
   * i16 where 8 bits lose too much (attention) and i8 elsewhere.
   */
  readonly activationDtypes?: ReadonlyMap<string, 'i8' | 'i16'>;
  /**
   * Bits of headroom below every calibrated activation frac (default 0): values up to 2^n times
   * the calibrated maximum still fit, for inputs unlike the calibration samples.
   */
  readonly headroomBits?: number;
  /**
   * Weight dtype of convolutions with group 1 (default i8), a pointwise one lowered channels-last
   * as a MatMul included (`ConvSplit.pointwise`); depthwise and grouped convolutions and MatMul
   * keep i8. i16 gives those convs an i16 × i16 MAC with an i64 accumulator
   * (docs/semantics.md §3). The weights' dtype is part of the model's bytes, so it changes the modelId.
   */
  readonly convWeightDtype?: 'i8' | 'i16';
  /**
   * Weight dtype of depthwise and grouped convolutions (default i8). i16 as `convWeightDtype`:
   * per-channel i8 weights of a 3 × 3 depthwise kernel move the PP-OCRv4 detector's
   * activations by 2% (BENCHMARKS.md, the detector). Part of the model's bytes, like `convWeightDtype`.
   */
  readonly groupedWeightDtype?: 'i8' | 'i16';
  /**
   * Off by default. When set, a group-1 Conv (a ConvTranspose) over more than `minInputBytes` of
   * input becomes a chain of ConvAccumulate (ConvTransposeAccumulate) steps over groups of its
   * input channels (`channels` each, or as many as keep a link's tile within `tileChunks` opened
   * chunks and `tileProducts` products an output), the last requantizing as the whole op does:
   * the same integers, and a tile of each link reads a few channels instead of every channel, so
   * its one-step fits one call (docs/decisions.md, "The detector's wide convolutions split over
   * input channels", "The detector's ConvTransposes split too"). With `pointwise: 'channels-last'`
   * a 1 × 1 Conv it would split becomes Transpose → MatMul → Transpose instead, the same integers.
   */
  readonly convSplit?: ConvSplit;
}

/** The dtype of activation `name` under the options: its own entry, else the default. */
export function activationDtypeOf(options: LowerOptions, name: string): 'i8' | 'i16' {
  return options.activationDtypes?.get(name) ?? options.activationDtype ?? 'i8';
}

/** Fractional bits of outputs bounded by 1 in magnitude (Softmax, Sigmoid, Tanh). */
const UNIT_RANGE_FRAC: Record<'i8' | 'i16', number> = { i8: 7, i16: 15 };
const WEIGHT_DTYPE: DType = 'i8';
/** HardSwish's gate clamp(x/6 + 1/2, 0, 1) is an i16 at this frac: 1.0 exactly, steps of 2^−14. */
const HARD_SWISH_GATE_FRAC = 14;
const CONSTANT_DTYPE: DType = 'i16';

/**
 * The largest accumulator frac at which a bias still fits i32 after rounding: 16-bit weights
 * take up to 8 more fractional bits than 8-bit ones, which a large bias could not follow. (Only
 * imports that failed before with "does not fit i32" get a lower weight frac from it.)
 */
function biasFracCap(bias: number): number {
  if (bias === 0) return FRAC_LIMIT * 2;
  return Math.floor(Math.log2((dtypeInfo('i32').max - 1) / Math.abs(bias)));
}

/** A Conv whose output at (i, j) reads only input (i, j): 1 × 1, stride 1, no padding, group 1. */
function isPointwise(
  kernel: readonly number[],
  attrs: { strides: readonly number[]; pads: readonly number[]; group: number },
): boolean {
  return (
    kernel.every((k) => k === 1) &&
    attrs.strides.every((s) => s === 1) &&
    attrs.pads.every((p) => p === 0) &&
    attrs.group === 1
  );
}

function transpose2d(data: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/**
 * Lowers a calibrated float graph to the integer hypergraph: power-of-two scales chosen from
 * the calibrated ranges, i8 weights scaled per output channel, i32 biases at the
 * accumulator's scale, and requantization wherever scales must meet.
 */
export function lowerToIntegerGraph(
  graph: FloatGraph,
  ranges: ReadonlyMap<string, number>,
  options: LowerOptions = {},
): Hypergraph {
  const actOf = (name: string) => activationDtypeOf(options, name);
  const b = new GraphBuilder();
  const wires = new Map<string, number>();

  const fail = (node: FloatNode, message: string): never => {
    throw new IrError('ONNX_UNSUPPORTED', `node '${node.name}' (${node.op}): ${message}`);
  };
  const constant = (name: string) => graph.constants.get(name);
  const rangeFrac = (name: string) =>
    (options.fracs?.get(name) ?? fracFor(ranges.get(name) ?? 0, actOf(name))) - (options.headroomBits ?? 0);
  const wire = (node: FloatNode, name: string): number => {
    const w = wires.get(name);
    if (w !== undefined) return w;
    const c = constant(name);
    if (!c) return fail(node, `input '${name}' has not been computed`);
    return constParam(name, c);
  };
  const constParam = (name: string, c: FloatTensor, dtype: DType = CONSTANT_DTYPE): number => {
    const frac = fracFor(maxAbs(c.data), dtype);
    const id = b.param(
      name,
      { dtype, shape: c.shape, frac },
      Array.from(c.data, (v) => quantizeValue(v, frac, dtype)),
    );
    wires.set(name, id);
    return id;
  };

  /** Weights [N, ...] (i8 unless told) scaled per output channel, and the i32 bias at input frac + weight frac, as values. */
  const quantizeWeightsAndBias = (
    node: FloatNode,
    inputFrac: number,
    w: FloatTensor,
    bias: Float64Array | undefined,
    dtype: DType,
  ) => {
    const channels = w.shape[0]!;
    const per = sizeOf(w.shape) / channels;
    const fracs = Array.from({ length: channels }, (_, c) =>
      Math.min(
        fracFor(maxAbs(w.data, c * per, (c + 1) * per), dtype),
        FRAC_LIMIT - inputFrac,
        biasFracCap(bias?.[c] ?? 0) - inputFrac,
      ),
    );
    const weights = {
      type: { dtype, shape: w.shape, frac: { axis: 0, fracs } } as TensorType,
      data: Int32Array.from(w.data, (v, i) => quantizeValue(v, fracs[Math.floor(i / per)]!, dtype)),
    };
    if (!bias) return { weights };
    const biasFracs = fracs.map((f) => inputFrac + f);
    const data = Int32Array.from(bias, (v, c) => {
      const q = Math.floor(v * 2 ** biasFracs[c]! + 0.5);
      if (Math.abs(q) > dtypeInfo('i32').max)
        fail(node, `bias of channel ${c} (${v}) does not fit i32 at frac ${biasFracs[c]}`);
      return q;
    });
    return {
      weights,
      bias: {
        type: { dtype: 'i32', shape: [channels], frac: { axis: 0, fracs: biasFracs } } as TensorType,
        data,
      },
    };
  };

  /** Weights [N, ...] (i8 unless told) scaled per output channel, and the i32 bias at input frac + weight frac. */
  const weightsAndBias = (
    node: FloatNode,
    inputFrac: number,
    w: FloatTensor,
    bias: Float64Array | undefined,
    dtype: DType = WEIGHT_DTYPE,
  ) => {
    const q = quantizeWeightsAndBias(node, inputFrac, w, bias, dtype);
    const weights = b.param(`${node.name}.weight`, q.weights.type, q.weights.data);
    return q.bias ? [weights, b.param(`${node.name}.bias`, q.bias.type, q.bias.data)] : [weights];
  };

  /** The options' weight dtype for a Conv: `convWeightDtype` for group 1, else `groupedWeightDtype`. */
  const convWeightDtype = (node: FloatNode): DType =>
    (attrInt(node, 'group', 1) === 1 ? options.convWeightDtype : options.groupedWeightDtype) ?? WEIGHT_DTYPE;

  /**
   * A group-1 Conv (or ConvTranspose) as a chain of ConvAccumulate (ConvTransposeAccumulate)
   * links over `links[k]` input channels each (`linkChannels`): the weights [O, C, kh, kw] sliced per link (same
   * per-channel fracs), the bias into the first, the last requantizing to the whole op's output.
   * The whole op's own checks run first on the whole edge, so its accumulator bound, which
   * covers every partial sum, holds for the chain.
   */
  const channelChain = (
    node: FloatNode,
    x: number,
    q: ReturnType<typeof quantizeWeightsAndBias>,
    links: readonly number[],
    whole: OpDefinition,
    attrs: Record<string, number | readonly number[]>,
    linkAttrs: Record<string, readonly number[]>,
  ): number => {
    const xType = b.typeOf(x);
    const wType = q.weights.type;
    const inTypes = [xType, wType, ...(q.bias ? [q.bias.type] : [])];
    const shape = whole.inferShape(inTypes, attrs);
    if (typeof shape === 'string') return fail(node, shape);
    const out = outFrac(node);
    const problems = whole.check({
      inTypes,
      outType: { ...out, shape },
      attrs,
      constants: [undefined, q.weights.data, q.bias?.data],
    });
    if (problems.length > 0) fail(node, problems.join('; '));
    const [o, channels, kh, kw] = wType.shape as [number, number, number, number];
    const data = q.weights.data;
    const op = whole.name === 'Conv' ? 'ConvAccumulate' : 'ConvTransposeAccumulate';
    let previous = q.bias ? b.param(`${node.name}.bias`, q.bias.type, q.bias.data) : undefined;
    if (links.reduce((a, c) => a + c, 0) !== channels)
      fail(node, `links ${links} do not cover ${channels} channels`);
    let start = 0;
    for (const c of links) {
      const sliced = inputChannelWeights(data, wType.shape, start, c);
      const link = b.param(
        `${node.name}.weight[${start}:${start + c}]`,
        { ...wType, shape: [o, c, kh, kw] },
        sliced,
      );
      const last = start + c === channels;
      previous = b.op(op, [x, link, ...(previous === undefined ? [] : [previous])], {
        name: last ? node.name : `${node.name}.accumulate[${start}:${start + c}]`,
        attrs: { ...linkAttrs, start, requantize: last ? 1 : 0 },
        ...(last ? out : { dtype: 'i32' as const, frac: 0 }),
      });
      start += c;
    }
    return previous!;
  };

  /**
   * A group-1 1 × 1 Conv (stride 1, no padding) over x [N, C, H, W] as Transpose → MatMul →
   * Transpose (`ConvSplit.pointwise: 'channels-last'`): x to [N, H, W, C], MatMul with the weights
   * [O, C] (the Conv's, quantized alike: same integers, same per-output-channel fracs) and its
   * bias to [N, H, W, O], back to [N, O, H, W] under the Conv's name. Σ_c x[n,c,i,j]·w[o,c] is the
   * same sum, requantized alike, so the output is the Conv's integer for integer; a MatMul tile
   * reads C adjacent values instead of one value from each of C planes.
   */
  const pointwiseMatMul = (node: FloatNode, x: number, W: FloatTensor, bias: Float64Array | undefined) => {
    const [o, c] = W.shape as [number, number];
    const matrix = { shape: [o, c], data: W.data };
    const params = weightsAndBias(node, b.typeOf(x).frac as number, matrix, bias, convWeightDtype(node));
    const nhwc = b.op('Transpose', [x], { name: `${node.name}.nhwc`, attrs: { perm: [0, 2, 3, 1] } });
    const y = b.op('MatMul', [nhwc, ...params], { name: `${node.name}.matmul`, ...outFrac(node) });
    return b.op('Transpose', [y], { name: node.name, attrs: { perm: [0, 3, 1, 2] } });
  };

  /**
   * Input channels of each link for a conv-like op on x with a tile's `window` (the input rows
   * under one output row): `options.convSplit`, or one link of all of them.
   */
  const splitLinks: UpsampleLoweringContext['splitLinks'] = (x, window) => {
    const [, channels, height, width] = b.typeOf(x).shape as [number, number, number, number];
    const valueBytes = dtypeInfo(b.typeOf(x).dtype).bytes;
    return linkChannels(options.convSplit, { channels, height, width, valueBytes, ...window });
  };

  /**
   * ConvTranspose (weights already [O, C, kh, kw], i8 as `weightsAndBias`) as a chain of
   * ConvTransposeAccumulate links over `links[k]` input channels each.
   */
  const convTransposeChain: UpsampleLoweringContext['convTransposeChain'] = (
    node,
    x,
    w,
    bias,
    links,
    geometry,
  ) => {
    const q = quantizeWeightsAndBias(node, b.typeOf(x).frac as number, w, bias, WEIGHT_DTYPE);
    const id = channelChain(node, x, q, links, ConvTranspose, geometry, geometry);
    wires.set(node.output, id);
    return id;
  };

  const emit = (
    node: FloatNode,
    op: string,
    inputs: number[],
    out: { dtype?: DType; frac?: number },
    attrs = {},
  ) => {
    const id = b.op(op, inputs, { name: node.name, attrs, ...out });
    wires.set(node.output, id);
    return id;
  };
  const outFrac = (node: FloatNode) => ({ dtype: actOf(node.output), frac: rangeFrac(node.output) });
  const unitRange = (node: FloatNode) => {
    const dtype = actOf(node.output);
    return { dtype, frac: UNIT_RANGE_FRAC[dtype] };
  };
  const requireAttr = (node: FloatNode, key: string, allowed: string | number) => {
    const v = node.attrs[key];
    if (v !== undefined && v !== allowed)
      fail(node, `attribute ${key}=${String(v)} is not supported (only ${allowed})`);
  };
  const windowAttrs = (node: FloatNode) => {
    requireAttr(node, 'auto_pad', 'NOTSET');
    return { strides: attrInts(node, 'strides', [1, 1]), pads: attrInts(node, 'pads', [0, 0, 0, 0]) };
  };

  for (const input of graph.inputs) {
    wires.set(
      input.name,
      b.input(input.name, {
        shape: input.shape,
        ...(input.integer ? INTEGER_INPUT : { dtype: actOf(input.name), frac: rangeFrac(input.name) }),
      }),
    );
  }

  for (const node of graph.nodes) {
    const [first, second, third] = node.inputs;
    switch (node.op) {
      case 'Gemm': {
        if (attrInt(node, 'transA', 0) !== 0) fail(node, 'transA=1 is not supported');
        const B = constant(second!) ?? fail(node, 'B must be a constant (weights)');
        const alpha = typeof node.attrs.alpha === 'number' ? node.attrs.alpha : 1;
        const beta = typeof node.attrs.beta === 'number' ? node.attrs.beta : 1;
        const [r, c] = B.shape as [number, number];
        const nk = attrInt(node, 'transB', 0) === 1 ? B.data : transpose2d(B.data, r, c);
        const n = attrInt(node, 'transB', 0) === 1 ? r : c;
        const w = { shape: [n, nk.length / n], data: nk.map((v) => v * alpha) };
        let bias: Float64Array | undefined;
        if (third) {
          const C = constant(third) ?? fail(node, 'C must be a constant (bias)');
          if (sizeOf(C.shape) !== n && sizeOf(C.shape) !== 1)
            fail(node, `C of shape ${formatShape(C.shape)} must be [${n}] or a scalar`);
          bias = Float64Array.from({ length: n }, (_, j) => beta * C.data[C.data.length === 1 ? 0 : j]!);
        }
        const x = wire(node, first!);
        emit(
          node,
          'MatMul',
          [x, ...weightsAndBias(node, b.typeOf(x).frac as number, w, bias)],
          outFrac(node),
        );
        break;
      }
      case 'MatMul': {
        const x = wire(node, first!);
        const B = constant(second!);
        if (B) {
          if (B.shape.length !== 2) fail(node, 'constant weights must be a [K, N] matrix');
          const [k, n] = B.shape as [number, number];
          emit(
            node,
            'MatMul',
            [
              x,
              ...weightsAndBias(
                node,
                b.typeOf(x).frac as number,
                { shape: [n, k], data: transpose2d(B.data, k, n) },
                undefined,
              ),
            ],
            outFrac(node),
          );
        } else if (graph.shapes.get(second!)!.length > 2) {
          // A batch of products of two activations (attention's Q·Kᵀ and weights·V).
          emit(node, 'BatchMatMul', [x, wire(node, second!)], outFrac(node));
        } else {
          const y = wire(node, second!);
          const yt = b.op('Transpose', [y], { name: `${node.name}.transpose_b`, attrs: { perm: [1, 0] } });
          emit(node, 'MatMul', [x, yt], outFrac(node));
        }
        break;
      }
      case 'Conv': {
        const W = constant(second!) ?? fail(node, 'weights must be constant');
        const B = third ? (constant(third) ?? fail(node, 'bias must be constant')) : undefined;
        const x = wire(node, first!);
        const kernel = attrInts(node, 'kernel_shape', W.shape.slice(2));
        if (kernel[0] !== W.shape[2] || kernel[1] !== W.shape[3])
          fail(node, 'kernel_shape disagrees with the weights');
        const attrs = {
          ...windowAttrs(node),
          dilations: attrInts(node, 'dilations', [1, 1]),
          group: attrInt(node, 'group', 1),
        };
        const links = splitLinks(x, {
          kernelHeight: kernel[0]!,
          kernelWidth: kernel[1]!,
          strideHeight: attrs.strides[0]!,
          dilationHeight: attrs.dilations[0]!,
        });
        if (attrs.group !== 1 || links.length === 1) {
          const params = weightsAndBias(node, b.typeOf(x).frac as number, W, B?.data, convWeightDtype(node));
          emit(node, 'Conv', [x, ...params], outFrac(node), attrs);
          break;
        }
        if (options.convSplit?.pointwise === 'channels-last' && isPointwise(kernel, attrs)) {
          wires.set(node.output, pointwiseMatMul(node, x, W, B?.data));
          break;
        }
        const q = quantizeWeightsAndBias(node, b.typeOf(x).frac as number, W, B?.data, convWeightDtype(node));
        const { strides, pads, dilations } = attrs;
        wires.set(node.output, channelChain(node, x, q, links, Conv, attrs, { strides, pads, dilations }));
        break;
      }
      case 'Add':
      case 'Sub':
      case 'Mul': {
        if (constant(first!) && constant(second!))
          fail(node, 'both inputs are constants; fold them before export');
        emit(node, node.op, [wire(node, first!), wire(node, second!)], outFrac(node));
        break;
      }
      case 'BatchNormalization': {
        const { a, c } = batchNormAffine(node, graph.constants);
        const shape = [a.length, 1, 1];
        const x = wire(node, first!);
        const scaleId = constParam(`${node.name}.scale`, { shape, data: a });
        const dtype = actOf(node.output);
        const scaledFrac = fracFor((ranges.get(first!) ?? 0) * maxAbs(a), dtype);
        const scaled = b.op('Mul', [x, scaleId], {
          name: `${node.name}.scale`,
          dtype,
          frac: scaledFrac,
        });
        emit(node, 'Add', [scaled, constParam(`${node.name}.shift`, { shape, data: c })], outFrac(node));
        break;
      }
      case 'Relu':
        emit(node, 'Relu', [wire(node, first!)], {});
        break;
      case 'MaxPool':
      case 'AveragePool': {
        requireAttr(node, 'ceil_mode', 0);
        requireAttr(node, 'storage_order', 0);
        if (attrInts(node, 'dilations', [1, 1]).some((d) => d !== 1))
          fail(node, 'dilated pooling is not supported');
        const attrs: Record<string, unknown> = {
          kernel_shape: attrInts(node, 'kernel_shape', []),
          ...windowAttrs(node),
        };
        if (node.op === 'AveragePool') attrs.count_include_pad = attrInt(node, 'count_include_pad', 0);
        emit(node, node.op, [wire(node, first!)], {}, attrs);
        break;
      }
      case 'GlobalAveragePool':
      case 'ReduceMean':
        emit(node, node.op, [wire(node, first!)], {});
        break;
      case 'Reshape':
      case 'Flatten':
      case 'Squeeze':
      case 'Unsqueeze':
        emit(node, 'Reshape', [wire(node, first!)], {}, { shape: graph.shapes.get(node.output)! });
        break;
      case 'Slice': {
        const starts = sliceStarts(node, graph.shapes.get(first!)!, node.inputs.map(constant));
        if (typeof starts === 'string') return fail(node, starts);
        const ends = graph.shapes.get(node.output)!.map((d, i) => starts[i]! + d);
        emit(node, 'Slice', [wire(node, first!)], {}, { starts, ends });
        break;
      }
      case 'Transpose': {
        const rank = graph.shapes.get(first!)!.length;
        const perm = attrInts(
          node,
          'perm',
          Array.from({ length: rank }, (_, i) => rank - 1 - i),
        );
        emit(node, 'Transpose', [wire(node, first!)], {}, { perm });
        break;
      }
      case 'Concat': {
        const out = outFrac(node);
        const parts = node.inputs.map((name, i) => {
          const id = wire(node, name);
          const t = b.typeOf(id);
          if (t.dtype === out.dtype && t.frac === out.frac) return id;
          return b.op('Requantize', [id], { name: `${node.name}.requantize_${i}`, ...out });
        });
        const rank = graph.shapes.get(node.output)!.length;
        emit(node, 'Concat', parts, out, { axis: (attrInt(node, 'axis', 0) + rank) % rank });
        break;
      }
      case 'Softmax': {
        const rank = graph.shapes.get(first!)!.length;
        const axis = (attrInt(node, 'axis', -1) + rank) % rank;
        if (axis !== rank - 1) fail(node, `softmax over axis ${axis} is not supported (only the last axis)`);
        const x = wire(node, first!);
        if (b.typeOf(x).shape.at(-1)! <= SOFTMAX_SEGMENT) {
          emit(node, 'Softmax', [x], unitRange(node));
          break;
        }
        // A row past one segment is three steps of small tiles, the same integers as Softmax.
        const attrs = { segment: SOFTMAX_SEGMENT };
        const m = b.op('SegmentMax', [x], { name: `${node.name}.segment_max`, attrs });
        const s = b.op('SoftmaxSegmentSum', [x, m], {
          name: `${node.name}.segment_sum`,
          dtype: 'i32',
          frac: EXP_FRAC,
          attrs,
        });
        emit(node, 'SoftmaxNormalize', [x, m, s], unitRange(node));
        break;
      }
      case 'Sigmoid':
      case 'Tanh':
        emit(node, node.op, [wire(node, first!)], unitRange(node));
        break;
      case 'Clip': {
        const x = wire(node, first!);
        const bounds = clipBounds(node, node.inputs.map(constant));
        if (typeof bounds === 'string') return fail(node, bounds);
        emit(node, 'Clip', [x], {}, clipAttrs(bounds, b.typeOf(x).frac as number));
        break;
      }
      case 'Max':
      case 'Min': {
        // With a scalar constant, Max and Min are a one-sided Clip; of two activations, unsupported.
        const [c, other] = constant(first!) ? [constant(first!)!, second!] : [constant(second!), first!];
        if (!c || sizeOf(c.shape) !== 1)
          return fail(node, 'only Max/Min with a scalar constant is supported');
        const x = wire(node, other);
        const v = c.data[0]!;
        const bounds =
          node.op === 'Max'
            ? { lo: v, hi: Number.POSITIVE_INFINITY }
            : { lo: Number.NEGATIVE_INFINITY, hi: v };
        emit(node, 'Clip', [x], {}, clipAttrs(bounds, b.typeOf(x).frac as number));
        break;
      }
      case 'Div': {
        const divisor = constant(second!) ?? fail(node, 'only division by a constant is supported');
        if (divisor.data.some((v) => v === 0)) fail(node, 'the constant divisor has a zero');
        const reciprocal = constParam(`${node.name}.reciprocal`, {
          shape: divisor.shape,
          data: divisor.data.map((v) => 1 / v),
        });
        emit(node, 'Mul', [wire(node, first!), reciprocal], outFrac(node));
        break;
      }
      case 'HardSwish': {
        // x · HardSigmoid(x; 1/6, 1/2): the gate in i16 at frac 14, where 1.0 is exact.
        const x = wire(node, first!);
        const gate = b.op('HardSigmoid', [x], {
          name: `${node.name}.gate`,
          dtype: 'i16',
          frac: HARD_SWISH_GATE_FRAC,
          attrs: hardSigmoidAttrs({ ...node, attrs: { alpha: 1 / 6, beta: 0.5 } }),
        });
        emit(node, 'Mul', [x, gate], outFrac(node));
        break;
      }
      case 'LayerNorm': {
        const x = wire(node, first!);
        const t = b.typeOf(x);
        const L = t.shape.at(-1)!;
        const epsilon = Math.max(
          L,
          Math.round((node.attrs.epsilon as number) * L ** 3 * 4 ** (t.frac as number)),
        );
        // d·2^fo must stay below 2^52 (docs/semantics.md): cap the output frac for long rows.
        const cap = Math.floor(Math.log2(LAYER_NORM_LIMIT / (4 * L * maxAbsOf(t, undefined)))) - 1;
        const { dtype, frac } = outFrac(node);
        emit(node, 'LayerNorm', [x], { dtype, frac: Math.max(0, Math.min(frac, cap)) }, { epsilon });
        break;
      }
      case 'HardSigmoid':
        emit(node, 'HardSigmoid', [wire(node, first!)], unitRange(node), hardSigmoidAttrs(node));
        break;
      default:
        if (
          !lowerTextOp(node, { b, actOf, wire, constant, constParam, emit, outFrac, fail }) &&
          !lowerUpsampleOp(node, {
            b,
            actOf,
            wire,
            constant,
            constParam,
            emit,
            outFrac,
            fail,
            weightsAndBias,
            emitWith: emit,
            splitLinks,
            convTransposeChain,
            shapeOf: (name) => graph.shapes.get(name)!,
          })
        )
          fail(node, 'no integer lowering for this op');
    }
  }
  for (const output of graph.outputs) {
    const id = wires.get(output);
    if (id === undefined)
      throw new IrError('ONNX_INVALID', `graph output '${output}' is a constant; nothing computes it`);
    b.output(id);
  }
  return b.build();
}
