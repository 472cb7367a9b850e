import { fromHex, sha256, toHex } from '../commit/hash.js';
import { merkleRoot } from '../commit/merkle.js';
import { tensorDigest } from '../commit/tensor-digest.js';
import { dtypeFromCode, dtypeInfo } from '../dtype.js';
import { IrError } from '../errors.js';
import {
  buildAdjacency,
  edgeInputsOf,
  edgeOutputsOf,
  type Hypergraph,
  type TensorType,
} from '../graph/types.js';
import { checkModel, type Model } from '../model.js';
import { findOp, OPSET_VERSION, opByCode } from '../ops/registry.js';
import { sizeOf, tensorBytes, tensorFromBytes } from '../tensor.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { type ModelPreimage, modelIdOf } from './model-id.js';
import { layoutHash, stepsRoot } from './steps.js';

const MAGIC = new TextEncoder().encode('STOAIR');
const FORMAT_VERSION = 1;
const ATTR_INT = 0;
const ATTR_INTS = 1;

/** `identity` leaves out names and replaces weight bytes by their digests: what modelId hashes. */
function writeModel(model: Model, identity: boolean): Uint8Array {
  const { graph } = model;
  const w = new ByteWriter().bytes(MAGIC).u16(FORMAT_VERSION).u16(model.opset);
  const name = (s: string) => {
    if (!identity) w.string(s);
  };
  name(model.name);
  w.u32(graph.nodeTypes.length);
  graph.nodeTypes.forEach((type, n) => {
    name(graph.nodeNames[n]!);
    writeType(w, type);
  });
  w.u32(graph.edgeOps.length);
  for (let e = 0; e < graph.edgeOps.length; e++) {
    name(graph.edgeNames[e]!);
    w.u16(findOp(graph.edgeOps[e]!)!.code);
    const attrs = graph.edgeAttrs[e]!;
    const keys = Object.keys(attrs).sort();
    w.u8(keys.length);
    for (const key of keys) {
      const value = attrs[key]!;
      w.string(key);
      if (typeof value === 'number') w.u8(ATTR_INT).i64(value);
      else {
        w.u8(ATTR_INTS).u32(value.length);
        for (const v of value) w.i64(v);
      }
    }
    writeIds(w, edgeInputsOf(graph, e));
    writeIds(w, edgeOutputsOf(graph, e));
  }
  writeIds(w, graph.inputs);
  writeIds(w, graph.outputs);
  const params = [...graph.params.keys()].sort((a, b) => a - b);
  w.u32(params.length);
  for (const n of params) {
    w.u32(n);
    const data = graph.params.get(n)!;
    const dtype = graph.nodeTypes[n]!.dtype;
    if (identity) w.bytes(tensorDigest(dtype, data));
    else {
      const bytes = tensorBytes(dtype, data);
      w.u32(bytes.length).bytes(bytes);
    }
  }
  writeIds(w, model.schedule);
  return w.finish();
}

function writeType(w: ByteWriter, type: TensorType): void {
  w.u8(dtypeInfo(type.dtype).code).u8(type.shape.length);
  for (const d of type.shape) w.u32(d);
  if (typeof type.frac === 'number') w.u8(0).i8(type.frac);
  else {
    w.u8(1).u8(type.frac.axis).u32(type.frac.fracs.length);
    for (const f of type.frac.fracs) w.i8(f);
  }
}

function writeIds(w: ByteWriter, ids: ArrayLike<number>): void {
  w.u32(ids.length);
  for (let i = 0; i < ids.length; i++) w.u32(ids[i]!);
}

/** The artifact: the canonical binary encoding of a model, names and weights included. */
export function encodeModel(model: Model): Uint8Array {
  return writeModel(model, false);
}

/** Merkle root over the weight tensors' digests (each a Merkle root over 1 KiB chunks), in node order. */
export function weightsRoot(model: Model): Uint8Array {
  const { graph } = model;
  const params = [...graph.params.keys()].sort((a, b) => a - b);
  return merkleRoot(params.map((n) => tensorDigest(graph.nodeTypes[n]!.dtype, graph.params.get(n)!)));
}

/** sha256 of the identity encoding: the structure without names, weights replaced by digests. */
export function graphDigest(model: Model): Uint8Array {
  return sha256(writeModel(model, true));
}

const preimageCache = new WeakMap<Model, ModelPreimage>();

/** Every commitment modelId hashes, computed from the model (once per model object). */
export function modelPreimage(model: Model): ModelPreimage {
  let preimage = preimageCache.get(model);
  if (!preimage) {
    preimage = {
      graphDigest: toHex(graphDigest(model)),
      weightsRoot: toHex(weightsRoot(model)),
      stepsRoot: stepsRoot(model),
      layoutHash: layoutHash(model),
      steps: model.schedule.length,
      opset: model.opset,
    };
    preimageCache.set(model, preimage);
  }
  return preimage;
}

const idCache = new WeakMap<Model, Uint8Array>();

/**
 * H(domain ‖ graphDigest ‖ weightsRoot ‖ stepsRoot ‖ layoutHash ‖ steps ‖ opset) (./model-id.ts):
 * stable across re-imports and processes, and binding every root a dispute is judged against.
 */
export function modelId(model: Model): Uint8Array {
  let id = idCache.get(model);
  if (!id) {
    id = fromHex(modelIdOf(modelPreimage(model)));
    idCache.set(model, id);
  }
  return id;
}

function readIds(r: ByteReader, field: string, limit: number): Uint32Array {
  const n = r.count(field, 4);
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const id = r.u32(field);
    if (id >= limit) r.fail(field, `id ${id} is out of range (limit ${limit})`);
    ids[i] = id;
  }
  return ids;
}

function readType(r: ByteReader, field: string): TensorType {
  const dtype = dtypeFromCode(r.u8(`${field} dtype`)) ?? r.fail(field, 'unknown dtype code');
  const rank = r.u8(`${field} rank`);
  const shape = Array.from({ length: rank }, () => r.u32(`${field} shape`));
  const tag = r.u8(`${field} scale tag`);
  if (tag === 0) return { dtype, shape, frac: r.i8(`${field} frac`) };
  if (tag !== 1) r.fail(field, `unknown scale tag ${tag}`);
  const axis = r.u8(`${field} axis`);
  const count = r.count(`${field} fracs`, 1);
  return { dtype, shape, frac: { axis, fracs: Array.from({ length: count }, () => r.i8(`${field} fracs`)) } };
}

/** Decodes and fully validates an artifact; every failure names the byte offset or the part at fault. */
export function decodeModel(data: Uint8Array): Model {
  const r = new ByteReader(data);
  const magic = r.bytes(MAGIC.length, 'magic');
  if (!magic.every((b, i) => b === MAGIC[i])) r.fail('magic', 'not a Stoa model (expected "STOAIR")');
  const format = r.u16('format version');
  if (format !== FORMAT_VERSION)
    r.fail('format version', `unsupported format ${format}, this reader knows ${FORMAT_VERSION}`);
  const opset = r.u16('opset');
  if (opset !== OPSET_VERSION)
    r.fail('opset', `model uses op set ${opset}, this runtime implements ${OPSET_VERSION}`);
  const name = r.string('model name');
  const nodeCount = r.count('node count', 8);
  const nodeNames: string[] = [];
  const nodeTypes: TensorType[] = [];
  for (let n = 0; n < nodeCount; n++) {
    nodeNames.push(r.string(`node ${n} name`));
    nodeTypes.push(readType(r, `node ${n}`));
  }
  const edgeCount = r.count('edge count', 12);
  const edgeNames: string[] = [];
  const edgeOps: string[] = [];
  const edgeAttrs: Record<string, number | number[]>[] = [];
  const ins: number[][] = [];
  const outs: number[][] = [];
  for (let e = 0; e < edgeCount; e++) {
    edgeNames.push(r.string(`edge ${e} name`));
    const code = r.u16(`edge ${e} op`);
    const op = opByCode(code) ?? r.fail(`edge ${e} op`, `unknown op code ${code}`);
    edgeOps.push(op.name);
    const attrs: Record<string, number | number[]> = {};
    const attrCount = r.u8(`edge ${e} attributes`);
    for (let a = 0; a < attrCount; a++) {
      const key = r.string(`edge ${e} attribute name`);
      const kind = r.u8(`edge ${e} attribute ${key}`);
      if (kind === ATTR_INT) attrs[key] = r.i64(`edge ${e} attribute ${key}`);
      else if (kind === ATTR_INTS) {
        const n = r.count(`edge ${e} attribute ${key}`, 8);
        attrs[key] = Array.from({ length: n }, () => r.i64(`edge ${e} attribute ${key}`));
      } else r.fail(`edge ${e} attribute ${key}`, `unknown attribute kind ${kind}`);
    }
    edgeAttrs.push(attrs);
    ins.push([...readIds(r, `edge ${e} inputs`, nodeCount)]);
    outs.push([...readIds(r, `edge ${e} outputs`, nodeCount)]);
  }
  const inputs = readIds(r, 'graph inputs', nodeCount);
  const outputs = readIds(r, 'graph outputs', nodeCount);
  const params = new Map<number, Int32Array>();
  const paramCount = r.count('parameter count', 8);
  for (let p = 0; p < paramCount; p++) {
    const n = r.u32(`parameter ${p} node`);
    if (n >= nodeCount) r.fail(`parameter ${p} node`, `node ${n} is out of range`);
    const length = r.u32(`parameter ${p} length`);
    const type = nodeTypes[n]!;
    const expected = sizeOf(type.shape) * dtypeInfo(type.dtype).bytes;
    if (length !== expected)
      r.fail(`parameter ${p} length`, `${length} bytes for ${type.dtype}[${type.shape}] (needs ${expected})`);
    params.set(n, tensorFromBytes(type.dtype, r.bytes(length, `parameter ${p} data`), sizeOf(type.shape)));
  }
  const schedule = readIds(r, 'schedule', edgeCount);
  if (r.remaining !== 0) r.fail('end', `${r.remaining} unexpected trailing bytes`);
  const graph: Hypergraph = {
    nodeTypes,
    nodeNames,
    edgeOps,
    edgeAttrs: edgeAttrs.map((a) => Object.freeze(a)),
    edgeNames,
    edgeInputs: buildAdjacency(ins),
    edgeOutputs: buildAdjacency(outs),
    inputs,
    outputs,
    params,
  };
  const model: Model = { name, graph, schedule, opset };
  try {
    checkModel(model);
  } catch (error) {
    if (error instanceof IrError)
      throw new IrError('ENCODING_CORRUPT', `decoded model is invalid: ${error.message}`);
    throw error;
  }
  return model;
}
