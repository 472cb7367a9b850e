/**
 * The step descriptors and node layout a one-step verifier re-executes against, and their
 * commitments (stepsRoot, layoutHash). They are part of a model's identity: modelId hashes them
 * (./model-id.ts), so a registration cannot pair a model with descriptors it does not have.
 * The ABI shapes mirror contracts/src/onestep/StepTypes.sol `Step` and `Layout`.
 */
import { encodeAbiParameters, type Hex } from 'viem';
import { fromHex, sha256, toHex } from '../commit/hash.js';
import { merkleProof, merkleRoot } from '../commit/merkle.js';
import { dtypeInfo } from '../dtype.js';
import { IrError } from '../errors.js';
import { edgeInputsOf, edgeOutputsOf, type TensorType } from '../graph/types.js';
import type { Model } from '../model.js';
import { findOp } from '../ops/registry.js';
import { type Liveness, liveness } from '../trace/trace.js';

/** ABI of `TensorType` in contracts/src/onestep/StepTypes.sol. */
const TENSOR_TYPE = {
  type: 'tuple',
  components: [
    { name: 'dtype', type: 'uint8' },
    { name: 'shape', type: 'uint32[]' },
    { name: 'fracs', type: 'bytes' },
  ],
} as const;

/** ABI of `Step` in contracts/src/onestep/StepTypes.sol. */
export const STEP_ABI = {
  type: 'tuple',
  components: [
    { name: 'index', type: 'uint32' },
    { name: 'edge', type: 'uint32' },
    { name: 'op', type: 'uint16' },
    { name: 'attrs', type: 'int64[]' },
    { name: 'inputNodes', type: 'uint32[]' },
    { name: 'inputTypes', type: 'tuple[]', components: TENSOR_TYPE.components },
    { name: 'outputNode', type: 'uint32' },
    { name: 'outputType', ...TENSOR_TYPE },
    { name: 'deadAfter', type: 'uint32[]' },
  ],
} as const;

/** ABI of `Layout` in contracts/src/onestep/StepTypes.sol. */
export const LAYOUT_ABI = {
  type: 'tuple',
  components: [
    { name: 'nodes', type: 'uint32' },
    { name: 'inputs', type: 'uint32[]' },
    { name: 'params', type: 'uint32[]' },
    { name: 'initiallyLive', type: 'uint32[]' },
    { name: 'outputs', type: 'uint32[]' },
  ],
} as const;

export interface AbiTensorType {
  readonly dtype: number;
  readonly shape: readonly number[];
  /** One signed byte per frac. */
  readonly fracs: Hex;
}

export interface StepDescriptor {
  readonly index: number;
  readonly edge: number;
  readonly op: number;
  readonly attrs: readonly bigint[];
  readonly inputNodes: readonly number[];
  readonly inputTypes: readonly AbiTensorType[];
  readonly outputNode: number;
  readonly outputType: AbiTensorType;
  readonly deadAfter: readonly number[];
}

export interface ModelLayout {
  readonly nodes: number;
  readonly inputs: readonly number[];
  readonly params: readonly number[];
  readonly initiallyLive: readonly number[];
  readonly outputs: readonly number[];
}

export function abiTensorType(type: TensorType): AbiTensorType {
  if (typeof type.frac !== 'number' && type.frac.axis !== 0) {
    throw new IrError(
      'GRAPH_INVALID',
      `per-channel scales along axis ${type.frac.axis} have no step descriptor (axis 0 only)`,
    );
  }
  return {
    dtype: dtypeInfo(type.dtype).code,
    shape: [...type.shape],
    fracs: toHex(
      new Uint8Array(Int8Array.from(typeof type.frac === 'number' ? [type.frac] : type.frac.fracs).buffer),
    ),
  };
}

/** Every attribute the op declares, in declared order, each as its value count then its values. */
export function flattenAttrs(
  opName: string,
  attrs: Readonly<Record<string, number | readonly number[]>>,
): bigint[] {
  const op = findOp(opName);
  if (!op) throw new IrError('GRAPH_INVALID', `unknown op '${opName}'`);
  const flat: bigint[] = [];
  for (const key of Object.keys(op.attrs)) {
    const value = attrs[key];
    if (value === undefined) throw new IrError('GRAPH_INVALID', `${opName}: attribute '${key}' is missing`);
    const values = typeof value === 'number' ? [value] : value;
    flat.push(BigInt(values.length), ...values.map((v) => BigInt(v)));
  }
  return flat;
}

const livenessCache = new WeakMap<Model, Liveness>();

function modelLiveness(model: Model): Liveness {
  let live = livenessCache.get(model);
  if (!live) {
    live = liveness(model.graph, model.schedule);
    livenessCache.set(model, live);
  }
  return live;
}

/** The descriptor of step `index` (edge schedule[index]) that a one-step verifier re-executes. */
export function stepDescriptor(model: Model, index: number): StepDescriptor {
  const { graph, schedule } = model;
  const edge = schedule[index];
  if (edge === undefined) throw new RangeError(`step ${index} is out of range 0..${schedule.length - 1}`);
  const inputs = [...edgeInputsOf(graph, edge)];
  const output = edgeOutputsOf(graph, edge)[0]!;
  const live = modelLiveness(model);
  const deadAfter = [...new Set(inputs)]
    .filter((n) => live.lastReadAt[n] === index && live.isOutput[n] === 0)
    .sort((a, b) => a - b);
  const opName = graph.edgeOps[edge]!;
  return {
    index,
    edge,
    op: findOp(opName)!.code,
    attrs: flattenAttrs(opName, graph.edgeAttrs[edge]!),
    inputNodes: inputs,
    inputTypes: inputs.map((n) => abiTensorType(graph.nodeTypes[n]!)),
    outputNode: output,
    outputType: abiTensorType(graph.nodeTypes[output]!),
    deadAfter,
  };
}

export function encodeStep(step: StepDescriptor): Hex {
  return encodeAbiParameters([STEP_ABI], [step as never]);
}

const stepLeavesCache = new WeakMap<Model, Uint8Array[]>();

function stepLeaves(model: Model): Uint8Array[] {
  let leaves = stepLeavesCache.get(model);
  if (!leaves) {
    leaves = Array.from(model.schedule, (_, i) => fromHex(encodeStep(stepDescriptor(model, i))));
    stepLeavesCache.set(model, leaves);
  }
  return leaves;
}

/** Merkle root (docs/semantics.md §5 tree) over the ABI encoding of every step descriptor. */
export function stepsRoot(model: Model): Hex {
  return toHex(merkleRoot(stepLeaves(model)));
}

export function stepProof(model: Model, index: number): Hex[] {
  return merkleProof(stepLeaves(model), index).map(toHex);
}

export function modelLayout(model: Model): ModelLayout {
  const { graph } = model;
  const live = modelLiveness(model);
  const inputs = [...graph.inputs];
  const params = [...graph.params.keys()].sort((a, b) => a - b);
  const initiallyLive = [...new Set([...inputs, ...params])]
    .filter((n) => live.lastReadAt[n]! > -1 || live.isOutput[n] === 1)
    .sort((a, b) => a - b);
  return { nodes: graph.nodeTypes.length, inputs, params, initiallyLive, outputs: [...graph.outputs] };
}

export function encodeLayout(layout: ModelLayout): Hex {
  return encodeAbiParameters([LAYOUT_ABI], [layout as never]);
}

export function layoutHash(model: Model): Hex {
  return toHex(sha256(fromHex(encodeLayout(modelLayout(model)))));
}
