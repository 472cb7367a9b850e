import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import {
  edgeOutputsOf,
  type Model,
  merkleRoot,
  quantizeInput,
  Random,
  randomGraph,
  sha256,
  stepLeaf,
} from '@stoa/ir';
import { parseEther } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from './anvil.js';
import { claimRegistryArtifact, disputeGameArtifact, stakeManagerArtifact } from './artifacts.generated.js';
import { DEV_PARAMETERS } from './deploy.js';
import { ReceiptBatch } from './game/batch.js';
import { challengerFromView, claimantFromView, type GameContext, playOut, readGame } from './game/parties.js';
import { Phase } from './game/phases.js';
import {
  bondedOf,
  creditOf,
  type GameFixture,
  honestView,
  openDispute,
  perturbStep,
  postClaim,
  rewardOf,
  setUpGame,
  signView,
  slashReward,
  tamperedView,
} from './game/scenario.js';
import { type ExecutionView, finalRevealArgs } from './game/witness.js';
import { chainHarness, DEV_ACCOUNTS } from './testing/harness.js';

const [deployer, node, challenger, stranger] = DEV_ACCOUNTS;
const game = disputeGameArtifact.abi;

let chain: LocalChain;
let h: ReturnType<typeof chainHarness>;
let cnn: Model;
let honest: ExecutionView;

beforeAll(async () => {
  chain = await startAnvil();
  h = chainHarness(chain);
  cnn = importMnistModel('cnn').model;
  const test = loadMnist('test');
  honest = await honestView(cnn, [quantizeInput(cnn.graph, 0, test.images.subarray(0, 784))]);
});
afterAll(async () => {
  await chain?.stop();
});

const ceilLog = (n: number, k: number) => {
  let rounds = 0;
  for (let reach = 1; reach < n; reach *= k) rounds++;
  return rounds;
};

/** Output chunks (1 KiB) of step `step`'s output tensor. */
function chunksOfStep(model: Model, step: number): number {
  const node = edgeOutputsOf(model.graph, model.schedule[step]!)[0]!;
  const type = model.graph.nodeTypes[node]!;
  const bytes =
    type.shape.reduce((a, b) => a * b, 1) * (type.dtype === 'i8' ? 1 : type.dtype === 'i16' ? 2 : 4);
  return Math.ceil(bytes / 1024);
}

async function claimAndOpen(f: GameFixture, claimed: ExecutionView, nonce: bigint) {
  const receipts = [await signView(f, honest, nonce), await signView(f, claimed, nonce + 1n)];
  const { claimId, batch } = await postClaim(f, receipts);
  const disputeId = await openDispute(f, challenger, claimId, batch, 1);
  return { claimId, disputeId };
}

describe('the dispute game on anvil, on the MNIST CNN', () => {
  for (const arity of [2, 4]) {
    it(`an honest challenger beats a node that changed one value of one step (k = ${arity})`, async () => {
      const f = await setUpGame(chain, h, deployer, node, cnn, { ...DEV_PARAMETERS, arity: BigInt(arity) });
      const step = 3; // the second convolution
      const liar = tamperedView(honest, perturbStep(step, 17));
      const { claimId, disputeId } = await claimAndOpen(f, liar, 1n);
      const ctx: GameContext = { h, game: f.at.disputeGame, disputeId, arity };
      const bondedBefore = await bondedOf(f, node.address);

      const end = await playOut(ctx, claimantFromView(node, liar), challengerFromView(challenger, honest));

      expect(end.challengerWon).toBe(true);
      expect(end.lo).toBe(step);
      expect(end.rounds).toBe(ceilLog(cnn.schedule.length, arity) + ceilLog(chunksOfStep(cnn, step), arity));
      expect(await bondedOf(f, node.address)).toBe(bondedBefore - DEV_PARAMETERS.slashAmount);
      expect(await creditOf(f, challenger.address)).toBe(
        DEV_PARAMETERS.challengeBond + DEV_PARAMETERS.claimBond,
      );
      expect(await rewardOf(f, challenger.address)).toBe(slashReward(DEV_PARAMETERS));
      expect(await h.read(f.at.claimRegistry, claimRegistryArtifact.abi, 'get', [claimId])).toMatchObject({
        status: 3, // Rejected
        openDisputes: 0,
      });
      const before = await h.reader.getBalance({ address: challenger.address });
      const { receipt } = await h.send(challenger, f.at.disputeGame, game, 'withdraw');
      expect((await h.reader.getBalance({ address: challenger.address })) - before).toBe(
        DEV_PARAMETERS.challengeBond + DEV_PARAMETERS.claimBond - receipt.gasUsed * receipt.effectiveGasPrice,
      );
      await h.reverts(challenger, f.at.disputeGame, game, 'withdraw').toThrow(/NothingToWithdraw/);
    });
  }

  it('catches a wrong first step (the initial state is rebuilt from the registered weights)', async () => {
    const f = await setUpGame(chain, h, deployer, node, cnn);
    const liar = tamperedView(honest, perturbStep(0, 5, -3));
    const { disputeId } = await claimAndOpen(f, liar, 1n);
    const end = await playOut(
      { h, game: f.at.disputeGame, disputeId, arity: 2 },
      claimantFromView(node, liar),
      challengerFromView(challenger, honest),
    );
    expect(end).toMatchObject({ challengerWon: true, lo: 0, loKnown: true });
  });

  it('catches a state root that does not follow from the step (a transition fault)', async () => {
    const f = await setUpGame(chain, h, deployer, node, cnn);
    const step = 4;
    const stateRoots = [...honest.trace.stateRoots];
    stateRoots[step + 1] = sha256(Uint8Array.of(9), stateRoots[step + 1]!);
    const stepLeaves = [...honest.trace.stepLeaves];
    const edge = cnn.schedule[step]!;
    const out = edgeOutputsOf(cnn.graph, edge)[0]!;
    stepLeaves[step] = stepLeaf(step, edge, stateRoots[step + 1]!, [honest.trace.nodeDigests[out]!]);
    const liar: ExecutionView = {
      ...honest,
      trace: { ...honest.trace, stateRoots, stepLeaves, traceRoot: merkleRoot(stepLeaves) },
    };
    const { disputeId } = await claimAndOpen(f, liar, 1n);
    const end = await playOut(
      { h, game: f.at.disputeGame, disputeId, arity: 2 },
      claimantFromView(node, liar),
      challengerFromView(challenger, honest),
    );
    expect(end).toMatchObject({ challengerWon: true, lo: step, phase: Phase.Resolved });
  });

  it('an honest node beats challengers that lie at random, and keeps its stake', async () => {
    const f = await setUpGame(chain, h, deployer, node, cnn, { ...DEV_PARAMETERS, arity: 4n });
    const receipt = await signView(f, honest, 1n);
    const { claimId, batch } = await postClaim(f, [receipt]);
    const bonded = await bondedOf(f, node.address);
    for (let seed = 1; seed <= 4; seed++) {
      const disputeId = await openDispute(f, challenger, claimId, batch, 0);
      const end = await playOut(
        { h, game: f.at.disputeGame, disputeId, arity: 4 },
        claimantFromView(node, honest),
        challengerFromView(challenger, honest, { random: new Random(seed) }),
      );
      expect(end.challengerWon).toBe(false);
    }
    expect(await bondedOf(f, node.address)).toBe(bonded);
    expect(await creditOf(f, node.address)).toBe(4n * DEV_PARAMETERS.challengeBond);
    // Every dispute is over: the claim finalizes once its window has closed.
    await h.advance(DEV_PARAMETERS.challengeWindow);
    await h.send(stranger, f.at.claimRegistry, claimRegistryArtifact.abi, 'finalize', [claimId]);
  });
});

describe('clocks, turns and every revert path', () => {
  it('a party that stops moving loses on its clock, whichever side it is on', async () => {
    const f = await setUpGame(chain, h, deployer, node, cnn, { ...DEV_PARAMETERS, clockSeconds: 600n });
    // The node disputes nothing: it never reveals its final step. Its clock runs out.
    const liar = tamperedView(honest, perturbStep(2, 1));
    const first = await claimAndOpen(f, liar, 1n);
    await h.reverts(stranger, f.at.disputeGame, game, 'timeout', [first.disputeId]).toThrow(/ClockRunning/);
    await h.advance(601n);
    await h.send(stranger, f.at.disputeGame, game, 'timeout', [first.disputeId]);
    expect(await readGame({ h, game: f.at.disputeGame, disputeId: first.disputeId, arity: 2 })).toMatchObject(
      {
        phase: Phase.Resolved,
        challengerWon: true,
      },
    );

    // A challenger that opens a dispute on an honest receipt and then walks away loses its bond.
    const receipt = await signView(f, honest, 10n);
    const { batch, claimId } = await postClaim(f, [receipt]);
    const disputeId = await openDispute(f, challenger, claimId, batch, 0);
    const ctx = { h, game: f.at.disputeGame, disputeId, arity: 2 };
    const claimant = claimantFromView(node, honest);
    await claimant.move(ctx, await readGame(ctx)); // revealFinal
    await claimant.move(ctx, await readGame(ctx)); // the first trace-tree nodes
    expect((await readGame(ctx)).phase).toBe(Phase.TracePick);
    await h.advance(601n);
    await h
      .reverts(challenger, f.at.disputeGame, game, 'pickChild', [disputeId, 0n, []])
      .toThrow(/ClockExpired/);
    const creditBefore = await creditOf(f, node.address);
    await h.send(stranger, f.at.disputeGame, game, 'timeout', [disputeId]);
    expect((await readGame(ctx)).challengerWon).toBe(false);
    expect((await creditOf(f, node.address)) - creditBefore).toBe(DEV_PARAMETERS.challengeBond);
    // Resolved once: neither a second timeout nor a move is accepted.
    await h.reverts(stranger, f.at.disputeGame, game, 'timeout', [disputeId]).toThrow(/WrongPhase/);
    await h
      .reverts(challenger, f.at.disputeGame, game, 'pickChild', [disputeId, 0n, []])
      .toThrow(/WrongPhase/);
  });

  it('refuses moves out of turn, out of phase, with forged data, and slashing without a lost game', async () => {
    // Clocks longer than the challenge window: the game goes on after the window is waited out.
    const f = await setUpGame(chain, h, deployer, node, cnn, { ...DEV_PARAMETERS, clockSeconds: 4n * 3600n });
    const liar = tamperedView(honest, perturbStep(6, 3));
    const { disputeId, claimId } = await claimAndOpen(f, liar, 1n);
    const ctx = { h, game: f.at.disputeGame, disputeId, arity: 2 };
    const claimant = claimantFromView(node, liar);
    const honestClaimant = claimantFromView(node, honest);

    // Wrong party, wrong round.
    await h
      .reverts(challenger, f.at.disputeGame, game, 'revealFinal', [disputeId, ...finalRevealArgs(liar)])
      .toThrow(/NotYourTurn/);
    await h.reverts(node, f.at.disputeGame, game, 'revealChildren', [disputeId, []]).toThrow(/WrongPhase/);
    await claimant.move(ctx, await readGame(ctx));
    await h
      .reverts(challenger, f.at.disputeGame, game, 'pickChild', [disputeId, 0n, []])
      .toThrow(/WrongPhase/);
    // Tree nodes of another trace do not hash to the receipt's trace root.
    await expect(honestClaimant.move(ctx, await readGame(ctx))).rejects.toThrow(/WrongChildren/);
    await claimant.move(ctx, await readGame(ctx));
    await h
      .reverts(challenger, f.at.disputeGame, game, 'pickChild', [disputeId, 0n, []])
      .toThrow(/NotRevealed/);

    // Only the game slashes, only the game resolves claims, and only after a lost game.
    await h
      .reverts(stranger, f.at.stakeManager, stakeManagerArtifact.abi, 'slash', [
        node.address,
        parseEther('1'),
        stranger.address,
      ])
      .toThrow(/NotSlasher/);
    await h
      .reverts(stranger, f.at.claimRegistry, claimRegistryArtifact.abi, 'disputeResolved', [
        claimId,
        false,
        stranger.address,
      ])
      .toThrow(/NotDisputeGame/);
    // With a dispute open, the claim cannot finalize even after its window.
    await h.advance(DEV_PARAMETERS.challengeWindow);
    await h
      .reverts(stranger, f.at.claimRegistry, claimRegistryArtifact.abi, 'finalize', [claimId])
      .toThrow(/DisputesOpen/);
    const end = await playOut(ctx, claimant, challengerFromView(challenger, honest));
    expect(end.challengerWon).toBe(true);
  });

  it('a receipt in a claim without the node’s valid signature loses the game at once', async () => {
    const f = await setUpGame(chain, h, deployer, node, cnn);
    const good = await signView(f, honest, 1n);
    const forged = { ...(await signView(f, honest, 2n)), nonce: 3n }; // signed for nonce 2, claims nonce 3
    const { claimId, batch } = await postClaim(f, [good, forged]);
    const disputeId = await openDispute(f, challenger, claimId, batch, 1);
    expect(await readGame({ h, game: f.at.disputeGame, disputeId, arity: 2 })).toMatchObject({
      phase: Phase.Resolved,
      challengerWon: true,
    });
    // A receipt that is not in the batch cannot be disputed at all.
    const elsewhere = new ReceiptBatch([good, good], {
      chainId: chain.chainId,
      verifyingContract: f.at.claimRegistry,
    });
    await expect(openDispute(f, challenger, claimId, elsewhere, 1)).rejects.toThrow(/ReceiptNotInBatch/);
  });

  it('plays random graphs over every op to the end, the honest side winning each time', async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const { model, inputs } = randomGraph(seed * 7);
      const f = await setUpGame(chain, h, deployer, node, model);
      const truth = await honestView(model, inputs);
      const lastStep = model.schedule.length - 1;
      const liar = tamperedView(truth, perturbStep(lastStep));
      const receipts = [await signView(f, liar, 1n)];
      const { claimId, batch } = await postClaim(f, receipts);
      const disputeId = await openDispute(f, challenger, claimId, batch, 0);
      const end = await playOut(
        { h, game: f.at.disputeGame, disputeId, arity: 2 },
        claimantFromView(node, liar),
        challengerFromView(challenger, truth),
      );
      expect(end.challengerWon).toBe(true);
    }
  });
});
