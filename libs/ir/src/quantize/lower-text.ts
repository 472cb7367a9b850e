import type { DType } from '../dtype.js';
import type { GraphBuilder } from '../graph/builder.js';
import type { FloatNode, FloatTensor } from '../onnx/float-graph.js';

/** What the main lowering lends the text ops' lowering (closures of `lowerToIntegerGraph`). */
export interface TextLoweringContext {
  readonly b: GraphBuilder;
  /** The activation dtype chosen for a value (mixed precision: per value). */
  actOf(name: string): 'i8' | 'i16';
  wire(node: FloatNode, name: string): number;
  constant(name: string): FloatTensor | undefined;
  constParam(name: string, c: FloatTensor, dtype?: DType): number;
  emit(node: FloatNode, op: string, inputs: number[], out: { dtype?: DType; frac?: number }): number;
  outFrac(node: FloatNode): { dtype: DType; frac: number };
  fail(node: FloatNode, message: string): never;
}

/** Softmax weights are at most 1: all fractional bits but the sign's and one. */
const WEIGHT_FRAC: Record<'i8' | 'i16', number> = { i8: 7, i16: 15 };

/** Integer inputs (token ids) are i16 at frac 0: ids below 32,768. */
export const INTEGER_INPUT = { dtype: 'i16', frac: 0 } as const;

/**
 * Lowers Gather (a constant table, quantized like any constant, gathered by integer ids), Gelu
 * and CausalSoftmax to their integer ops. Returns false for any other op.
 */
export function lowerTextOp(node: FloatNode, c: TextLoweringContext): boolean {
  const [first, second] = node.inputs;
  switch (node.op) {
    case 'Gather': {
      const table = c.constant(first!) ?? c.fail(node, 'the table (input 0) must be a constant');
      const indices = c.wire(node, second!);
      if (c.b.typeOf(indices).frac !== 0) c.fail(node, `the indices '${second}' must be an integer input`);
      const id = c.constParam(`${node.name}.table`, table, c.actOf(node.output));
      const t = c.b.typeOf(id);
      c.emit(node, 'Gather', [id, indices], { dtype: t.dtype, frac: t.frac as number });
      return true;
    }
    case 'Gelu':
      c.emit(node, 'Gelu', [c.wire(node, first!)], c.outFrac(node));
      return true;
    case 'CausalSoftmax': {
      const dtype = c.actOf(node.output);
      c.emit(node, 'CausalSoftmax', [c.wire(node, first!)], { dtype, frac: WEIGHT_FRAC[dtype] });
      return true;
    }
    default:
      return false;
  }
}
