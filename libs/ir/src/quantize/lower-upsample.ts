import type { FloatNode, FloatTensor } from '../onnx/float-graph.js';
import { convTransposeGeometry, resizeScales } from '../onnx/float-ops-upsample.js';
import type { ConvSplitWindow } from './conv-split.js';
import type { TextLoweringContext } from './lower-text.js';

/** What the upsampling ops' lowering needs beyond the text ops' context. */
export interface UpsampleLoweringContext extends TextLoweringContext {
  shapeOf(name: string): readonly number[];
  /** i8 weights [O, ...] scaled per output channel and the i32 bias, as for Conv. */
  weightsAndBias(
    node: FloatNode,
    inputFrac: number,
    w: FloatTensor,
    bias: Float64Array | undefined,
  ): number[];
  /** Input channels of each link of a conv-like op on x (one link of all of them when it is not split). */
  splitLinks(x: number, window: ConvSplitWindow): number[];
  /** Emits ConvTranspose as a chain of ConvTransposeAccumulate links; its output's id. */
  convTransposeChain(
    node: FloatNode,
    x: number,
    w: FloatTensor,
    bias: Float64Array | undefined,
    links: readonly number[],
    geometry: { strides: readonly number[]; pads: readonly number[] },
  ): number;
  emitWith(
    node: FloatNode,
    op: string,
    inputs: number[],
    out: { dtype?: 'i8' | 'i16'; frac?: number },
    attrs: Record<string, readonly number[]>,
  ): number;
}

/** ONNX ConvTranspose weights [C, O, kh, kw] in the IR's layout [O, C, kh, kw]. */
function outputChannelsFirst(w: FloatTensor): FloatTensor {
  const [c, o, kh, kw] = w.shape as [number, number, number, number];
  const k = kh * kw;
  const data = new Float64Array(w.data.length);
  for (let ci = 0; ci < c; ci++)
    for (let oc = 0; oc < o; oc++)
      for (let t = 0; t < k; t++) data[(oc * c + ci) * k + t] = w.data[(ci * o + oc) * k + t]!;
  return { shape: [o, c, kh, kw], data };
}

/**
 * Lowers nearest Resize (values moved, scale kept) and ConvTranspose (i8 weights per output
 * channel, i32 bias, requantized like Conv). Returns false for any other op.
 */
export function lowerUpsampleOp(node: FloatNode, c: UpsampleLoweringContext): boolean {
  const [first, second, third] = node.inputs;
  switch (node.op) {
    case 'Resize': {
      const scales = resizeScales(
        node,
        c.shapeOf(first!),
        node.inputs.map((n) => (n ? c.constant(n) : undefined)),
      );
      if (typeof scales === 'string') return c.fail(node, scales);
      c.emitWith(node, 'Resize', [c.wire(node, first!)], {}, { scales });
      return true;
    }
    case 'ConvTranspose': {
      const W = c.constant(second!) ?? c.fail(node, 'weights must be constant');
      const B = third ? (c.constant(third) ?? c.fail(node, 'bias must be constant')) : undefined;
      const geometry = convTransposeGeometry(node, W.shape);
      if (typeof geometry === 'string') return c.fail(node, geometry);
      const x = c.wire(node, first!);
      // An output row reads ⌈kh / sh⌉ input rows; products an output: c · ⌈kh/sh⌉ · ⌈kw/sw⌉.
      const links = c.splitLinks(x, {
        kernelHeight: Math.ceil(W.shape[2]! / geometry.strides[0]!),
        kernelWidth: Math.ceil(W.shape[3]! / geometry.strides[1]!),
        strideHeight: 1,
        dilationHeight: 1,
      });
      if (links.length > 1) {
        c.convTransposeChain(node, x, outputChannelsFirst(W), B?.data, links, geometry);
        return true;
      }
      const params = c.weightsAndBias(node, c.b.typeOf(x).frac as number, outputChannelsFirst(W), B?.data);
      c.emitWith(
        node,
        'ConvTranspose',
        [x, ...params],
        c.outFrac(node) as { dtype: 'i8' | 'i16'; frac: number },
        geometry,
      );
      return true;
    }
    default:
      return false;
  }
}
