import {
  artifacts,
  chainClient,
  challengerFromView,
  claimantFromView,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  deployStoa,
  type ExecutionView,
  type GameFixture,
  honestView,
  type LocalChain,
  modelCommitments,
  modelRegistryArtifact,
  OPENINGS_ABI,
  openDispute,
  perturbStep,
  playOut,
  postClaim,
  registerArgs,
  signView,
  stakeManagerArtifact,
  startAnvil,
  stepDescriptor,
  tamperedView,
  tileWitness,
} from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { edgeOutputsOf, type Model, quantizeInput, Random, sha256, tensorBytes, toHex } from '@stoa/ir';
import { decodeAbiParameters, encodeAbiParameters, type Hex, parseEther } from 'viem';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployZkVerifier, type ZkDeployment } from './deploy.js';
import { BLOCK_PROOFS, encodeZkWitness, proveTile, verifyTileProof, zkTileWitness } from './prove.js';

/**
 * Must-show 2: disputes settled through the Groth16 verifier on a real anvil chain.
 * Needs the proving keys that `npm run circuits:build` writes to circuits/.cache.
 */

const [deployer, node, challenger] = DEV_ACCOUNTS;
const zk = artifacts.zkVerifierArtifact.abi;

let chain: LocalChain;
let h: ReturnType<typeof chainClient>;
let cnn: Model;
let honest: ExecutionView;
let zkDeployment: ZkDeployment;

beforeAll(async () => {
  chain = await startAnvil();
  h = chainClient(chain.rpcUrl);
  cnn = importMnistModel('cnn').model;
  const test = loadMnist('test');
  honest = await honestView(cnn, [quantizeInput(cnn.graph, 0, test.images.subarray(0, 784))]);
  zkDeployment = await deployZkVerifier(h, deployer, [cnn]);
});
afterAll(async () => {
  await chain?.stop();
});

async function setUp(verifier?: `0x${string}`): Promise<GameFixture> {
  const parameters = { ...DEV_PARAMETERS, arity: 4n };
  const at = await deployStoa({
    rpcUrl: chain.rpcUrl,
    account: deployer,
    chain: foundry,
    parameters,
    verifier,
  });
  await h.send(
    node,
    at.modelRegistry,
    modelRegistryArtifact.abi,
    'register',
    registerArgs(modelCommitments(cnn)),
  );
  await h.send(node, at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('5'));
  return { h: h as never, at, parameters, model: cnn, node };
}

/** The state root before `step` and the canonical output bytes of elements [start, end). */
function truth(step: number, start: number, end: number) {
  const out = edgeOutputsOf(cnn.graph, cnn.schedule[step]!)[0]!;
  const bytes = tensorBytes('i8', honest.values[out]!).subarray(start, end);
  return { stateRoot: toHex(honest.trace.stateRoots[step]!), expected: toHex(sha256(bytes)) };
}

describe('one-step proofs through the Groth16 verifier', () => {
  it('returns the hash of the proven bytes; rejects a tampered proof, public signal or opening', async () => {
    const step = 3; // the second convolution: a 56-output tile is two blocks of 28
    const [start, end] = [56, 112];
    const tile = await proveTile(cnn, step, honest.values, start, end);
    expect(tile.blocks).toHaveLength(2);
    expect(await verifyTileProof(tile)).toBe(true);
    const witness = encodeZkWitness(honest, step, tile);
    const { stateRoot, expected } = truth(step, start, end);
    const descriptor = stepDescriptor(cnn, step);
    const call = (w: Hex, root: Hex = stateRoot) =>
      h.read(zkDeployment.zkVerifier, zk, 'outputHash', [root, descriptor, BigInt(start), BigInt(end), w]);
    expect(await call(witness)).toBe(expected);

    // A changed proof point: the pairing check fails.
    const badProof = {
      ...tile,
      blocks: tile.blocks.map((b, i) => (i === 1 ? { ...b, proof: swapAB(b.proof) } : b)),
    };
    await expect(call(encodeZkWitness(honest, step, badProof))).rejects.toThrow(/ProofRejected/);
    // A claimed output byte changed: the output public signals no longer match the proof.
    const badOutput = {
      ...tile,
      blocks: tile.blocks.map((b, i) => (i === 0 ? { ...b, output: flip(b.output, 5) } : b)),
    };
    await expect(call(encodeZkWitness(honest, step, badOutput))).rejects.toThrow(/ProofRejected/);
    // Input bytes changed in the opening: the input public signals come from opened chunks only.
    await expect(call(tamperOpenedByte(witness))).rejects.toThrow(/ChunkNotInTensor/);
    // Another state root: the inputs do not open.
    await expect(call(witness, toHex(sha256(Uint8Array.of(1))))).rejects.toThrow(/InputNotInState/);
    // The re-execution witness carries no proofs.
    await expect(call(tileWitness(honest, step, start, end))).rejects.toThrow();
  });

  it('an honest challenger beats a lying node in ZK mode, and in re-execution mode', async () => {
    const step = 3;
    const liar = tamperedView(honest, perturbStep(step, 17));
    for (const mode of ['zk', 'reexec'] as const) {
      const f = await setUp(mode === 'zk' ? zkDeployment.zkVerifier : undefined);
      const receipts = [await signView(f, honest, 1n), await signView(f, liar, 2n)];
      const { claimId, batch } = await postClaim(f, receipts);
      const disputeId = await openDispute(f, challenger, claimId, batch, 1);
      const end = await playOut(
        { h: h as never, game: f.at.disputeGame, disputeId, arity: 4 },
        claimantFromView(node, liar),
        challengerFromView(challenger, honest, undefined, mode === 'zk' ? zkTileWitness : tileWitness),
      );
      expect({ mode, challengerWon: end.challengerWon, lo: end.lo }).toEqual({
        mode,
        challengerWon: true,
        lo: step,
      });
    }
  });

  it('an honest node beats a challenger that names a random tile, in ZK mode', async () => {
    const f = await setUp(zkDeployment.zkVerifier);
    const { claimId, batch } = await postClaim(f, [await signView(f, honest, 1n)]);
    const disputeId = await openDispute(f, challenger, claimId, batch, 0);
    const end = await playOut(
      { h: h as never, game: f.at.disputeGame, disputeId, arity: 4 },
      claimantFromView(node, honest),
      challengerFromView(challenger, honest, { random: new Random(3) }, zkTileWitness),
    );
    expect(end.challengerWon).toBe(false);
  });
});

/** Swaps the proof's A point for its C point: a well-formed proof that does not verify. */
function swapAB(p: readonly bigint[]) {
  return [p[6]!, p[7]!, p[2]!, p[3]!, p[4]!, p[5]!, p[0]!, p[1]!] as unknown as typeof p &
    [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = copy[at]! ^ 1;
  return copy;
}

const OPENINGS = OPENINGS_ABI[0];

/** The witness with one byte of input 0's opened data changed. */
function tamperOpenedByte(witness: Hex): Hex {
  const [openings, proofs] = decodeAbiParameters([OPENINGS, BLOCK_PROOFS], witness);
  const data = Buffer.from(openings[0]!.data.slice(2), 'hex');
  data[3] = data[3]! ^ 0x40;
  const changed = [{ ...openings[0]!, data: toHex(data) }, ...openings.slice(1)];
  return encodeAbiParameters([OPENINGS, BLOCK_PROOFS], [changed, proofs]);
}
