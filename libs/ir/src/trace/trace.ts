import { sha256, u64be } from '../commit/hash.js';
import { merkleRoot } from '../commit/merkle.js';
import { tensorDigest } from '../commit/tensor-digest.js';
import { edgeInputsOf, edgeOutputsOf, type Hypergraph } from '../graph/types.js';
import type { Model } from '../model.js';
import { IncrementalMerkleTree } from './incremental-merkle.js';

const STEP_LEAF = Uint8Array.of(3);
const IO_DIGEST = Uint8Array.of(4);
const ABSENT = new Uint8Array(32);

/**
 * The commitment to one execution. Step i executes edge schedule[i]; stateRoots[0] commits to
 * the tensors available before step 0 (inputs and weights) and stateRoots[i + 1] to the tensors
 * live after step i, as a Merkle tree indexed by node id (absent or dead nodes are 32 zero
 * bytes). The trace root is the Merkle root over the step leaves.
 */
export interface Trace {
  readonly steps: number;
  /** Tensor digest of every node by node id. */
  readonly nodeDigests: readonly Uint8Array[];
  readonly stateRoots: readonly Uint8Array[];
  readonly stepLeaves: readonly Uint8Array[];
  readonly traceRoot: Uint8Array;
  readonly inputDigest: Uint8Array;
  readonly outputDigest: Uint8Array;
}

/** When each node becomes available (−1: before step 0) and the last step that reads it. */
export interface Liveness {
  readonly availableAt: Int32Array;
  readonly lastReadAt: Int32Array;
  readonly isOutput: Uint8Array;
}

export function liveness(graph: Hypergraph, schedule: Uint32Array): Liveness {
  const nodes = graph.nodeTypes.length;
  const availableAt = new Int32Array(nodes).fill(-1);
  const lastReadAt = new Int32Array(nodes).fill(-1);
  const isOutput = new Uint8Array(nodes);
  schedule.forEach((edge, step) => {
    for (const n of edgeOutputsOf(graph, edge)) availableAt[n] = step;
    for (const n of edgeInputsOf(graph, edge)) lastReadAt[n] = step;
  });
  for (const n of graph.outputs) isOutput[n] = 1;
  return { availableAt, lastReadAt, isOutput };
}

/** Whether node n is part of the state after `step` (step −1 is the initial state). */
export function isLiveAfter(l: Liveness, n: number, step: number): boolean {
  return l.availableAt[n]! <= step && (l.lastReadAt[n]! > step || l.isOutput[n] === 1);
}

/** H(0x03 ‖ step ‖ edge ‖ state root after the step ‖ digests of the step's outputs). */
export function stepLeaf(
  step: number,
  edge: number,
  stateRootAfter: Uint8Array,
  outputDigests: readonly Uint8Array[],
): Uint8Array {
  return sha256(STEP_LEAF, u64be(step), u64be(edge), stateRootAfter, ...outputDigests);
}

/** The digest of a list of boundary tensors: H(0x04 ‖ Merkle root of their digests). */
export function boundaryDigest(digests: readonly Uint8Array[]): Uint8Array {
  return sha256(IO_DIGEST, merkleRoot(digests));
}

/**
 * Replays the state tree from the initial state up to (and including) `lastStep`, calling
 * `visit` with the tree after each step. Shared by trace building and proof generation.
 */
export function replayState(
  model: Model,
  nodeDigests: readonly Uint8Array[],
  lastStep: number,
  visit: (step: number, tree: IncrementalMerkleTree) => void,
): IncrementalMerkleTree {
  const { graph, schedule } = model;
  const l = liveness(graph, schedule);
  const tree = new IncrementalMerkleTree(nodeDigests.map((d, n) => (isLiveAfter(l, n, -1) ? d : ABSENT)));
  visit(-1, tree);
  for (let step = 0; step <= lastStep; step++) {
    const edge = schedule[step]!;
    for (const n of edgeOutputsOf(graph, edge)) if (isLiveAfter(l, n, step)) tree.update(n, nodeDigests[n]!);
    for (const n of edgeInputsOf(graph, edge)) if (!isLiveAfter(l, n, step)) tree.update(n, ABSENT);
    visit(step, tree);
  }
  return tree;
}

const weightDigestCache = new WeakMap<Model, Map<number, Uint8Array>>();

/** Weight digests never change for a model: hash them once, not on every traced request. */
function weightDigests(model: Model): Map<number, Uint8Array> {
  let digests = weightDigestCache.get(model);
  if (!digests) {
    digests = new Map(
      [...model.graph.params].map(([n, data]) => [n, tensorDigest(model.graph.nodeTypes[n]!.dtype, data)]),
    );
    weightDigestCache.set(model, digests);
  }
  return digests;
}

/** Builds the trace of one execution from every node's value (as returned with keepIntermediates). */
export function buildTrace(model: Model, values: readonly (Int32Array | undefined)[]): Trace {
  const { graph, schedule } = model;
  const weights = weightDigests(model);
  const nodeDigests = graph.nodeTypes.map((type, n) => {
    const known = weights.get(n);
    if (known) return known;
    const v = values[n];
    if (!v) throw new Error(`cannot trace: node ${n} '${graph.nodeNames[n]}' has no value`);
    return tensorDigest(type.dtype, v);
  });
  const stateRoots: Uint8Array[] = [];
  const stepLeaves: Uint8Array[] = [];
  replayState(model, nodeDigests, schedule.length - 1, (step, tree) => {
    stateRoots.push(tree.root);
    if (step >= 0) {
      const edge = schedule[step]!;
      stepLeaves.push(
        stepLeaf(
          step,
          edge,
          tree.root,
          [...edgeOutputsOf(graph, edge)].map((n) => nodeDigests[n]!),
        ),
      );
    }
  });
  return {
    steps: schedule.length,
    nodeDigests,
    stateRoots,
    stepLeaves,
    traceRoot: merkleRoot(stepLeaves),
    inputDigest: boundaryDigest([...graph.inputs].map((n) => nodeDigests[n]!)),
    outputDigest: boundaryDigest([...graph.outputs].map((n) => nodeDigests[n]!)),
  };
}
