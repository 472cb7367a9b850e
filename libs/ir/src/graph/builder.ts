import type { DType } from '../dtype.js';
import { IrError } from '../errors.js';
import { findOp, opNames } from '../ops/registry.js';
import { formatShape, sizeOf } from '../tensor.js';
import { normalizeAttrs } from './attrs.js';
import { maxElementWork } from './tiles.js';
import { type Attrs, buildAdjacency, type ChannelFracs, type Hypergraph, type TensorType } from './types.js';
import { tensorTypeProblems, validateGraph } from './validate.js';

export interface OpOptions {
  /** Edge name; also names the output node. Defaults to `<op>_<edge index>`. */
  readonly name?: string;
  readonly attrs?: Readonly<Record<string, unknown>>;
  /** Output dtype; defaults to input 0's. */
  readonly dtype?: DType;
  /** Output frac; defaults to input 0's (which must then be per-tensor). */
  readonly frac?: number;
}

/**
 * Builds a hypergraph one wire and one operation at a time. Each op is type-checked as it is
 * added, so a mistake is reported at the line that made it, naming the edge.
 */
export class GraphBuilder {
  private readonly nodeTypes: TensorType[] = [];
  private readonly nodeNames: string[] = [];
  private readonly edgeOps: string[] = [];
  private readonly edgeAttrs: Attrs[] = [];
  private readonly edgeNames: string[] = [];
  private readonly edgeInputs: number[][] = [];
  private readonly edgeOutputs: number[][] = [];
  private readonly inputs: number[] = [];
  private readonly outputs: number[] = [];
  private readonly params = new Map<number, Int32Array>();

  typeOf(node: number): TensorType {
    const type = this.nodeTypes[node];
    if (!type) throw new IrError('GRAPH_INVALID', `node ${node} does not exist`);
    return type;
  }

  input(name: string, type: TensorType): number {
    const node = this.addNode(name, type);
    this.inputs.push(node);
    return node;
  }

  param(name: string, type: TensorType, data: ArrayLike<number>): number {
    if (data.length !== sizeOf(type.shape)) {
      throw new IrError(
        'TENSOR_SIZE',
        `parameter '${name}' has ${data.length} values for shape ${formatShape(type.shape)} (${sizeOf(type.shape)})`,
      );
    }
    const node = this.addNode(name, type);
    this.params.set(node, Int32Array.from(data));
    return node;
  }

  op(opName: string, inputs: readonly number[], options: OpOptions = {}): number {
    const edge = this.edgeOps.length;
    const name = options.name ?? `${opName.toLowerCase()}_${edge}`;
    const fail = (message: string): never => {
      throw new IrError('TYPE_MISMATCH', `edge ${edge} '${name}' (${opName}): ${message}`);
    };
    const op = findOp(opName) ?? fail(`unknown op; the op set has ${opNames().join(', ')}`);
    if (inputs.length < op.minInputs || inputs.length > op.maxInputs) {
      fail(`takes ${op.minInputs}..${op.maxInputs} inputs, got ${inputs.length}`);
    }
    const inTypes = inputs.map((n) => this.nodeTypes[n] ?? fail(`input node ${n} does not exist`));
    const attrs = normalizeAttrs(op, options.attrs ?? {});
    if (typeof attrs === 'string') return fail(attrs);
    const shape = op.inferShape(inTypes, attrs);
    if (typeof shape === 'string') return fail(shape);
    const first = inTypes[0]!;
    const frac =
      options.frac ?? (typeof first.frac === 'number' ? first.frac : fail('give the output frac explicitly'));
    const outType: TensorType = { dtype: options.dtype ?? first.dtype, shape, frac };
    const problems = op.check({ inTypes, outType, attrs, constants: inputs.map((n) => this.params.get(n)) });
    const work = maxElementWork(op, inTypes, outType, attrs);
    if (work.problem) problems.push(work.problem);
    if (problems.length > 0) fail(problems.join('; '));
    const out = this.addNode(name, outType);
    this.edgeOps.push(opName);
    this.edgeAttrs.push(attrs);
    this.edgeNames.push(name);
    this.edgeInputs.push([...inputs]);
    this.edgeOutputs.push([out]);
    return out;
  }

  output(node: number): void {
    this.typeOf(node);
    this.outputs.push(node);
  }

  build(): Hypergraph {
    const graph: Hypergraph = {
      nodeTypes: [...this.nodeTypes],
      nodeNames: [...this.nodeNames],
      edgeOps: [...this.edgeOps],
      edgeAttrs: [...this.edgeAttrs],
      edgeNames: [...this.edgeNames],
      edgeInputs: buildAdjacency(this.edgeInputs),
      edgeOutputs: buildAdjacency(this.edgeOutputs),
      inputs: Uint32Array.from(this.inputs),
      outputs: Uint32Array.from(this.outputs),
      params: new Map(this.params),
    };
    validateGraph(graph);
    return graph;
  }

  private addNode(name: string, type: TensorType): number {
    const normalized: TensorType = {
      dtype: type.dtype,
      shape: [...type.shape],
      frac:
        typeof type.frac === 'number'
          ? type.frac
          : ({ axis: type.frac.axis, fracs: [...type.frac.fracs] } as ChannelFracs),
    };
    const problems = tensorTypeProblems(normalized);
    if (problems.length > 0) throw new IrError('TYPE_MISMATCH', `node '${name}': ${problems.join('; ')}`);
    this.nodeTypes.push(normalized);
    this.nodeNames.push(name);
    return this.nodeTypes.length - 1;
  }
}
