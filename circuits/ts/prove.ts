import { readFileSync } from 'node:fs';
import {
  type ExecutionView,
  OPENINGS_ABI,
  type StepDescriptor,
  stepDescriptor,
  tileWitness,
} from '@stoa/contracts';
import { edgeInputsOf, executeTile, type Model, tensorBytes } from '@stoa/ir';
import { groth16, wtns } from 'snarkjs';
import { decodeAbiParameters, encodeAbiParameters, type Hex } from 'viem';
import { vkeyPath, wasmPath, zkeyPath } from './artifacts.js';
import { type CircuitDefinition, circuitForStep } from './catalog.js';
import { blockElements, blocksOf, inputStream, pack31 } from './streams.js';

/** One block of a tile: its circuit inputs (the public signals) and its output bytes. */
export interface BlockInputs {
  readonly block: number;
  readonly inPacked: bigint[];
  readonly outPacked: bigint[];
  readonly output: Uint8Array;
}

/** A Groth16 proof of one block, in the order of the exported verifier's calldata. */
export interface BlockProof {
  readonly block: number;
  /** a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y */
  readonly proof: readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  readonly publicSignals: readonly bigint[];
  readonly output: Uint8Array;
}

export interface TileProof {
  readonly circuit: CircuitDefinition;
  readonly blocks: readonly BlockProof[];
}

function valuesOf(model: Model, values: readonly (Int32Array | undefined)[], node: number): Int32Array {
  const value = values[node] ?? model.graph.params.get(node);
  if (!value) throw new Error(`node ${node} has no value: proveTile needs every input of the step`);
  return value;
}

/**
 * The circuit inputs of every block covering output elements [start, end) of step `step`.
 * Output bytes come from the reference kernel (executeTile) on the true inputs; elements a
 * block pads past the end of the tensor are computed from zero inputs, as the circuit does.
 */
export function tileBlocks(
  model: Model,
  step: number,
  values: readonly (Int32Array | undefined)[],
  start: number,
  end: number,
): { circuit: CircuitDefinition; descriptor: StepDescriptor; blocks: BlockInputs[] } {
  const descriptor = stepDescriptor(model, step);
  const total = descriptor.outputType.shape.reduce((a, b) => a * b, 1);
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= total)) {
    throw new RangeError(
      `tile [${start}, ${end}) is not a range of the ${total} output elements of step ${step}`,
    );
  }
  const circuit = circuitForStep(descriptor);
  const { graph } = model;
  const edge = model.schedule[step]!;
  const inputNodes = [...edgeInputsOf(graph, edge)];
  const inputValues = inputNodes.map((n) => valuesOf(model, values, n));
  const inputBytes = inputNodes.map((n, j) => tensorBytes(graph.nodeTypes[n]!.dtype, inputValues[j]!));
  const per = blockElements(descriptor, circuit.blockParam);
  const blocks = blocksOf(descriptor, circuit.blockParam, start, end).map((block) => {
    const output = new Uint8Array(per);
    const lo = block * per;
    const hi = Math.min(total, lo + per);
    const real = executeTile(graph, edge, inputValues, { index: block, start: lo, end: hi, work: 0 });
    output.set(tensorBytes('i8', real));
    const stream = inputStream(descriptor, inputBytes, block, circuit.blockParam);
    return { block, inPacked: pack31(stream), outPacked: pack31(output), output };
  });
  return { circuit, descriptor, blocks };
}

const wasmCache = new Map<string, Uint8Array>();
function wasmOf(name: string): { type: 'mem'; data: Uint8Array } {
  let data = wasmCache.get(name);
  if (!data) {
    data = readFileSync(wasmPath(name));
    wasmCache.set(name, data);
  }
  return { type: 'mem', data };
}

const signalInput = (b: Pick<BlockInputs, 'inPacked' | 'outPacked'>) => ({
  inPacked: b.inPacked.map(String),
  outPacked: b.outPacked.map(String),
});

/**
 * Runs the circuit's witness generator, which checks every constraint: it succeeds exactly when
 * the output bytes are the ones the circuit computes from the input stream.
 */
export async function checkWitness(
  circuit: string,
  block: Pick<BlockInputs, 'inPacked' | 'outPacked'>,
): Promise<void> {
  await wtns.calculate(signalInput(block), wasmOf(circuit), { type: 'mem' });
}

/**
 * Proves output elements [start, end) of step `step` of `model` with Groth16, one proof per
 * block of the step's circuit. `values` holds every node's value (an execution's values;
 * parameters may be left out). Needs the proving keys of `npm run circuits:build`.
 */
export async function proveTile(
  model: Model,
  step: number,
  values: readonly (Int32Array | undefined)[],
  start: number,
  end: number,
): Promise<TileProof> {
  const { circuit, blocks } = tileBlocks(model, step, values, start, end);
  const zkey = zkeyPath(circuit.name);
  const proved: BlockProof[] = [];
  for (const b of blocks) {
    const { proof, publicSignals } = await groth16.fullProve(signalInput(b), wasmOf(circuit.name), zkey);
    const n = (s: string) => BigInt(s);
    proved.push({
      block: b.block,
      proof: [
        n(proof.pi_a[0]!),
        n(proof.pi_a[1]!),
        n(proof.pi_b[0]![1]!),
        n(proof.pi_b[0]![0]!),
        n(proof.pi_b[1]![1]!),
        n(proof.pi_b[1]![0]!),
        n(proof.pi_c[0]!),
        n(proof.pi_c[1]!),
      ],
      publicSignals: publicSignals.map(n),
      output: b.output,
    });
  }
  return { circuit, blocks: proved };
}

/** Checks a tile proof off-chain against the committed verification key. */
export async function verifyTileProof(tile: TileProof): Promise<boolean> {
  const vkey = JSON.parse(readFileSync(vkeyPath(tile.circuit.name), 'utf8'));
  for (const b of tile.blocks) {
    const [ax, ay, bx1, bx0, by1, by0, cx, cy] = b.proof.map(String);
    const proof = {
      pi_a: [ax!, ay!, '1'],
      pi_b: [
        [bx0!, bx1!],
        [by0!, by1!],
        ['1', '0'],
      ],
      pi_c: [cx!, cy!, '1'],
      protocol: 'groth16',
      curve: 'bn128',
    };
    if (!(await groth16.verify(vkey, b.publicSignals.map(String), proof))) return false;
  }
  return true;
}

/** The openings part of the witness, as tileWitness encodes it. */
const OPENINGS = OPENINGS_ABI[0];

/** ABI of ZkVerifier.BlockProof[]. */
export const BLOCK_PROOFS = {
  type: 'tuple[]',
  components: [
    { name: 'proof', type: 'uint256[8]' },
    { name: 'output', type: 'bytes' },
  ],
} as const;

/** The ZkVerifier witness: the openings every block reads, then one proof per block. */
export function encodeZkWitness(view: ExecutionView, step: number, tile: TileProof): Hex {
  const descriptor = stepDescriptor(view.model, step);
  const per = blockElements(descriptor, tile.circuit.blockParam);
  const total = descriptor.outputType.shape.reduce((a, b) => a * b, 1);
  const first = tile.blocks[0]!.block * per;
  const last = Math.min(total, (tile.blocks.at(-1)!.block + 1) * per);
  // The reference kernel over the blocks' outputs reads what the blocks read (zero padding aside).
  const [openings] = decodeAbiParameters([OPENINGS], tileWitness(view, step, first, last));
  return encodeAbiParameters(
    [OPENINGS, BLOCK_PROOFS],
    [
      openings,
      tile.blocks.map((b) => ({
        proof: [...b.proof] as never,
        output: `0x${Buffer.from(b.output).toString('hex')}` as Hex,
      })),
    ],
  );
}

/**
 * A witness builder for the scripted challenger (contracts/ts/game/parties.ts) in ZK mode: it
 * proves the tile and wraps the proofs with the openings.
 */
export async function zkTileWitness(
  view: ExecutionView,
  step: number,
  start: number,
  end: number,
): Promise<Hex> {
  const tile = await proveTile(view.model, step, view.values, start, end);
  return encodeZkWitness(view, step, tile);
}
