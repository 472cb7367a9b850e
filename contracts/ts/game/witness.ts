import {
  CHUNK_BYTES,
  chunksOf,
  dtypeInfo,
  edgeInputsOf,
  edgeOutputsOf,
  findOp,
  IncrementalMerkleTree,
  type Model,
  merkleMultiproof,
  merkleProof,
  merkleRoot,
  replayState,
  type Trace,
  tensorBytes,
  toHex,
} from '@stoa/ir';
import { encodeAbiParameters, type Hex } from 'viem';
import { modelLayout, type StepDescriptor, stepDescriptor, stepProof } from '../one-step/descriptor.js';
import { cropChunks, gathers, listedBytes } from '../one-step/windows.js';

/**
 * One party's knowledge of an execution: every node's value and the trace built from them.
 * An honest party's view is the model's true execution; a dishonest one's is whatever it
 * committed to. Everything a party submits in a game is cut from its view.
 */
export interface ExecutionView {
  readonly model: Model;
  readonly values: readonly (Int32Array | undefined)[];
  readonly trace: Trace;
}

/** DisputeGame.Point: the content of one step leaf. */
export interface GamePoint {
  readonly edge: number;
  readonly state: Hex;
  readonly output: Hex;
}

const ABSENT = new Uint8Array(32);

export function nodeValue(view: ExecutionView, node: number): Int32Array {
  const value = view.values[node] ?? view.model.graph.params.get(node);
  if (!value) throw new Error(`node ${node} has no value in this execution`);
  return value;
}

export function nodeBytes(view: ExecutionView, node: number): Uint8Array {
  return tensorBytes(view.model.graph.nodeTypes[node]!.dtype, nodeValue(view, node));
}

/** The content of the view's leaf for `step`. */
export function leafAt(view: ExecutionView, step: number): GamePoint {
  const edge = view.model.schedule[step]!;
  const output = edgeOutputsOf(view.model.graph, edge)[0]!;
  return {
    edge,
    state: toHex(view.trace.stateRoots[step + 1]!),
    output: toHex(view.trace.nodeDigests[output]!),
  };
}

export function leafProof(view: ExecutionView, step: number): Hex[] {
  return merkleProof(view.trace.stepLeaves, step).map(toHex);
}

/** The view's trace tree (a Merkle tree over its step leaves), for phase 1 of a game. */
export function traceTree(view: ExecutionView): IncrementalMerkleTree {
  return new IncrementalMerkleTree(view.trace.stepLeaves);
}

/** Arguments of DisputeGame.revealStep after the dispute id: leaf `step` and leaf step − 1. */
export function revealStepArgs(view: ExecutionView, step: number) {
  const none: GamePoint = { edge: 0, state: toHex(ABSENT), output: toHex(ABSENT) };
  return [
    leafAt(view, step),
    step > 0 ? leafAt(view, step - 1) : none,
    step > 0 ? leafProof(view, step - 1) : [],
  ] as const;
}

/** The state tree before `step` (after step − 1). */
export function stateTreeBefore(view: ExecutionView, step: number): IncrementalMerkleTree {
  return replayState(view.model, view.trace.nodeDigests, step - 1, () => {});
}

/** Arguments of DisputeGame.revealFinal after the dispute id. */
export function finalRevealArgs(view: ExecutionView) {
  const steps = view.model.schedule.length;
  const layout = modelLayout(view.model);
  const finalState = stateTreeBefore(view, steps);
  return [
    leafAt(view, steps - 1),
    leafProof(view, steps - 1),
    layout,
    layout.outputs.map((n) => toHex(view.trace.nodeDigests[n]!)),
    layout.outputs.map((n) => finalState.proof(n).map(toHex)),
  ] as const;
}

/** Arguments of DisputeGame.setInitialState after the dispute id. */
export function initialStateArgs(view: ExecutionView) {
  const layout = modelLayout(view.model);
  const digest = (n: number) => toHex(view.trace.nodeDigests[n]!);
  return [layout, layout.params.map(digest), layout.inputs.map(digest)] as const;
}

/**
 * The transition the game checks: the state before `step` (from this view) with `output` set as
 * the step's output digest, then the dead inputs dropped — each change with its Merkle path in
 * the state after the changes before it.
 */
function replayTransition(view: ExecutionView, step: number, output: Hex) {
  const descriptor = stepDescriptor(view.model, step);
  const tree = stateTreeBefore(view, step);
  const oldDigests: Hex[] = [toHex(ABSENT)];
  const proofs: Hex[][] = [tree.proof(descriptor.outputNode).map(toHex)];
  tree.update(descriptor.outputNode, Buffer.from(output.slice(2), 'hex'));
  for (const n of descriptor.deadAfter) {
    oldDigests.push(toHex(view.trace.nodeDigests[n]!));
    proofs.push(tree.proof(n).map(toHex));
    tree.update(n, ABSENT);
  }
  return { descriptor, oldDigests, proofs, root: toHex(tree.root) };
}

/** Arguments of DisputeGame.proveTransitionFault after the dispute id, against the claimant's output. */
export function transitionArgs(view: ExecutionView, step: number, claimedOutput: Hex) {
  const { descriptor, oldDigests, proofs } = replayTransition(view, step, claimedOutput);
  return [descriptor, stepProof(view.model, step), oldDigests, proofs] as const;
}

/** What the transition from the state before `step` gives for the state after it, with `output`. */
export function stateAfterWith(view: ExecutionView, step: number, output: Hex): Hex {
  return replayTransition(view, step, output).root;
}

/** The chunk tree of a step's output in this view, for phase 2 of a game. */
export function outputChunkTree(
  view: ExecutionView,
  step: number,
): { tree: IncrementalMerkleTree; chunks: Uint8Array[] } {
  const output = edgeOutputsOf(view.model.graph, view.model.schedule[step]!)[0]!;
  const chunks = chunksOf(nodeBytes(view, output));
  return { tree: new IncrementalMerkleTree(chunks), chunks };
}

/** The 2^m nodes m levels below node (height, index) of a chunk tree. */
export function childrenOf(tree: IncrementalMerkleTree, height: number, index: number, m: number): Hex[] {
  return Array.from({ length: 2 ** m }, (_, j) => toHex(tree.nodeAt(height - m, index * 2 ** m + j)));
}

/** ABI of `TensorOpening[]` (contracts/src/onestep/TensorOpener.sol): the witness of both one-step verifiers. */
export const OPENINGS_ABI = [
  {
    type: 'tuple[]',
    components: [
      { name: 'digest', type: 'bytes32' },
      { name: 'stateProof', type: 'bytes32[]' },
      { name: 'chunkRoot', type: 'bytes32' },
      { name: 'firstChunk', type: 'uint256' },
      { name: 'data', type: 'bytes' },
      { name: 'chunkProof', type: 'bytes32[]' },
      { name: 'chunks', type: 'uint256[]' },
    ],
  },
] as const;

/**
 * The ReexecVerifier witness for output elements [start, end) of `step`: each input's digest
 * opened in the state before the step, and the chunks of it that the tile reads. Which
 * elements a tile reads is found by running the reference kernel on recording inputs, so the
 * openings follow the semantics of every op without a second description of them. A Conv's or
 * ConvTranspose's input 0 is opened as several ranges (the input rows the tile reads, in every
 * channel: `cropChunks`), and a Transpose's input or an Add's, Sub's or Mul's broadcast operand as
 * the chunks the tile reads (`gathers`), when that is fewer chunks than one contiguous range.
 */
export function tileWitness(view: ExecutionView, step: number, start: number, end: number): Hex {
  const { model } = view;
  const edge = model.schedule[step]!;
  const inputs = [...edgeInputsOf(model.graph, edge)];
  const { ranges, chunksRead } = readRanges(view, step, start, end);
  const tree = stateTreeBefore(view, step);
  const descriptor = stepDescriptor(model, step);
  const openings = inputs.map((n, j) => {
    const bytes = nodeBytes(view, n);
    const chunks = chunksOf(bytes);
    const width = bytes.length / nodeValue(view, n).length;
    const [lo, hi] = ranges[j]!;
    const first = Math.floor((lo * width) / CHUNK_BYTES);
    const last = hi < lo ? first - 1 : Math.floor((hi * width + width - 1) / CHUNK_BYTES);
    const gathered = gathers(descriptor, j) ? [...chunksRead[j]!].sort((a, b) => a - b) : undefined;
    const listed = (j === 0 ? cropChunks(descriptor, width, start, end) : undefined) ?? gathered;
    const several = listed !== undefined && listed.length < last - first + 1;
    const opened = several ? listed : Array.from({ length: last - first + 1 }, (_, k) => first + k);
    return {
      digest: toHex(view.trace.nodeDigests[n]!),
      stateProof: tree.proof(n).map(toHex),
      chunkRoot: toHex(merkleRoot(chunks)),
      firstChunk: BigInt(several ? listed[0]! : first),
      data: toHex(
        several
          ? listedBytes(bytes, listed)
          : bytes.subarray(first * CHUNK_BYTES, Math.min(bytes.length, (last + 1) * CHUNK_BYTES)),
      ),
      chunkProof: merkleMultiproof(chunks, opened).map(toHex),
      chunks: several ? listed.map(BigInt) : [],
    };
  });
  return encodeAbiParameters(OPENINGS_ABI, [openings]);
}

/**
 * For each input of the step, the lowest and highest element index the tile reads, and the
 * chunks holding the elements it reads.
 */
function readRanges(
  view: ExecutionView,
  step: number,
  start: number,
  end: number,
): { ranges: [number, number][]; chunksRead: Set<number>[] } {
  const { graph, schedule } = view.model;
  const edge = schedule[step]!;
  const inputs = [...edgeInputsOf(graph, edge)];
  const ranges: [number, number][] = inputs.map(() => [Number.POSITIVE_INFINITY, -1]);
  const chunksRead = inputs.map(() => new Set<number>());
  const widths = inputs.map((n) => dtypeInfo(graph.nodeTypes[n]!.dtype).bytes);
  const note = (j: number, lo: number, hi: number) => {
    const r = ranges[j]!;
    r[0] = Math.min(r[0], lo);
    r[1] = Math.max(r[1], hi);
    const w = widths[j]!;
    for (let k = Math.floor((lo * w) / CHUNK_BYTES); k <= Math.floor((hi * w + w - 1) / CHUNK_BYTES); k++)
      chunksRead[j]!.add(k);
  };
  const recorders = inputs.map((n, j) => {
    const target = nodeValue(view, n);
    return new Proxy(target, {
      get(t, key) {
        if (typeof key === 'string' && /^\d+$/.test(key)) {
          note(j, Number(key), Number(key));
          return t[Number(key)];
        }
        if (key === 'subarray') {
          return (s = 0, e = t.length) => {
            if (e > s) note(j, s, e - 1);
            return t.subarray(s, e);
          };
        }
        const value = Reflect.get(t, key, t);
        return typeof value === 'function' ? value.bind(t) : value;
      },
    });
  });
  const op = findOp(graph.edgeOps[edge]!)!;
  const outType = graph.nodeTypes[edgeOutputsOf(graph, edge)[0]!]!;
  const out = new Int32Array(outType.shape.reduce((a, b) => a * b, 1));
  op.kernel(
    {
      inputs: recorders,
      inTypes: inputs.map((n) => graph.nodeTypes[n]!),
      outType,
      attrs: graph.edgeAttrs[edge]!,
    },
    out,
    start,
    end,
  );
  return { ranges: ranges.map(([lo, hi]) => (hi < 0 ? [0, -1] : [lo, hi])), chunksRead };
}

export type { StepDescriptor };
