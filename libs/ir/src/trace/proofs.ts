import { equalBytes, sha256, u64be } from '../commit/hash.js';
import { merkleProof, merkleRootFromProof, verifyMerkleProof } from '../commit/merkle.js';
import { CHUNK_BYTES, chunksOf } from '../commit/tensor-digest.js';
import { edgeInputsOf } from '../graph/types.js';
import type { Model } from '../model.js';
import { replayState, type Trace } from './trace.js';

const TENSOR = Uint8Array.of(2);

/** One 1 KiB chunk of a tensor's canonical bytes, with its path to the tensor digest. */
export interface ChunkOpening {
  readonly index: number;
  readonly chunk: Uint8Array;
  readonly byteLength: number;
  readonly proof: Uint8Array[];
}

export function openChunk(bytes: Uint8Array, index: number): ChunkOpening {
  const chunks = chunksOf(bytes);
  return { index, chunk: chunks[index]!, byteLength: bytes.length, proof: merkleProof(chunks, index) };
}

export function verifyChunk(digest: Uint8Array, opening: ChunkOpening): boolean {
  const chunks = Math.ceil(opening.byteLength / CHUNK_BYTES);
  if (opening.index < 0 || opening.index >= chunks) return false;
  const expectedLength = Math.min(CHUNK_BYTES, opening.byteLength - opening.index * CHUNK_BYTES);
  if (opening.chunk.length !== expectedLength) return false;
  const root = merkleRootFromProof(opening.chunk, opening.index, opening.proof);
  return equalBytes(sha256(TENSOR, u64be(opening.byteLength), root), digest);
}

/** A tensor digest opened against a state root: what a one-step verifier needs for each input. */
export interface StateOpening {
  readonly node: number;
  readonly digest: Uint8Array;
  readonly proof: Uint8Array[];
}

/** Opens input `inputIndex` of `step` against the state root before that step (stateRoots[step]). */
export function openStepInput(model: Model, trace: Trace, step: number, inputIndex: number): StateOpening {
  const node = edgeInputsOf(model.graph, model.schedule[step]!)[inputIndex];
  if (node === undefined) throw new RangeError(`step ${step} has no input ${inputIndex}`);
  const tree = replayState(model, trace.nodeDigests, step - 1, () => {});
  return { node, digest: trace.nodeDigests[node]!, proof: tree.proof(node) };
}

export function verifyStateOpening(stateRoot: Uint8Array, opening: StateOpening): boolean {
  return verifyMerkleProof(stateRoot, opening.digest, opening.node, opening.proof);
}

/** A step leaf opened against the trace root. */
export interface StepOpening {
  readonly step: number;
  readonly leaf: Uint8Array;
  readonly proof: Uint8Array[];
}

export function openStep(trace: Trace, step: number): StepOpening {
  return { step, leaf: trace.stepLeaves[step]!, proof: merkleProof(trace.stepLeaves, step) };
}

export function verifyStepOpening(traceRoot: Uint8Array, opening: StepOpening): boolean {
  return verifyMerkleProof(traceRoot, opening.leaf, opening.step, opening.proof);
}
