/**
 * Traces on demand (issue 14, direction 1): a receipt with a zero trace root binds (modelId,
 * inputDigest, outputDigest, steps, node, nonce); the node commits the root of the trace it
 * defends when a dispute opens (`commitTrace`, on its clock). The faults this opens are tested
 * here beside a wrong execution: a committed trace inconsistent with the receipt's output or
 * inputs, and a node that never commits.
 */
import { type IntTensor, Random, randomGraph, toHex } from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from './anvil.js';
import { disputeGameArtifact } from './artifacts.generated.js';
import { DEV_PARAMETERS } from './deploy.js';
import { challengerFromView, claimantFromView, type GameContext, playOut, readGame } from './game/parties.js';
import { Phase } from './game/phases.js';
import {
  bondedOf,
  type GameFixture,
  honestView,
  openDispute,
  perturbStep,
  postClaim,
  setUpGame,
  signView,
  tamperedView,
} from './game/scenario.js';
import { type ExecutionView, finalRevealArgs } from './game/witness.js';
import { chainHarness, DEV_ACCOUNTS } from './testing/harness.js';

const [deployer, node, challenger, stranger] = DEV_ACCOUNTS;
const game = disputeGameArtifact.abi;
const CLOCK = 600n;

let chain: LocalChain;
let h: ReturnType<typeof chainHarness>;
let f: GameFixture;
let honestA: ExecutionView;
let honestB: ExecutionView;
let nonce = 0n;

/** The model's inputs with their first element set to `first`. */
function inputsWith(inputs: IntTensor[], first: number): IntTensor[] {
  return inputs.map((t) => {
    const data = t.data.slice();
    data[0] = first;
    return { ...t, data };
  });
}

beforeAll(async () => {
  chain = await startAnvil();
  h = chainHarness(chain);
  const { model, inputs } = randomGraph(3);
  f = await setUpGame(chain, h, deployer, node, model, { ...DEV_PARAMETERS, clockSeconds: CLOCK });
  honestA = await honestView(model, inputsWith(inputs, -40));
  honestB = await honestView(model, inputsWith(inputs, 40));
});
afterAll(async () => {
  await chain?.stop();
});

/** The earliest step whose perturbation changes the output: a wrong execution, consistently traced. */
function liarOf(honest: ExecutionView): ExecutionView {
  for (let step = 0; step < honest.model.schedule.length; step++) {
    const liar = tamperedView(honest, perturbStep(step, 0, 5));
    if (toHex(liar.trace.outputDigest) !== toHex(honest.trace.outputDigest)) return liar;
  }
  throw new Error('no single perturbation changes this model’s output');
}

/** Claims an on-demand receipt of `signed` and opens a dispute on it. */
async function openOnDemand(signed: ExecutionView): Promise<GameContext> {
  const receipt = await signView(f, signed, ++nonce, { onDemand: true });
  expect(receipt.traceRoot).toBe(`0x${'0'.repeat(64)}`);
  const { claimId, batch } = await postClaim(f, [receipt]);
  const disputeId = await openDispute(f, challenger, claimId, batch, 0);
  const ctx = { h, game: f.at.disputeGame, disputeId, arity: 2 };
  expect((await readGame(ctx)).phase).toBe(Phase.AwaitTrace);
  return ctx;
}

/** Lets the party to move run out of time, ends the game and returns whether the challenger won. */
async function timeOut(ctx: GameContext): Promise<boolean> {
  await h.advance(CLOCK + 1n);
  await h.send(stranger, f.at.disputeGame, game, 'timeout', [ctx.disputeId]);
  return (await readGame(ctx)).challengerWon;
}

describe('traces on demand: the trace root is committed when a dispute opens', () => {
  it('an honest node commits its trace and beats challengers that lie at random, keeping its stake', async () => {
    const bonded = await bondedOf(f, node.address);
    for (const seed of [1, 2]) {
      const ctx = await openOnDemand(honestA);
      const end = await playOut(
        ctx,
        claimantFromView(node, honestA),
        challengerFromView(challenger, honestA, { random: new Random(seed) }),
      );
      expect(end.challengerWon).toBe(false);
    }
    expect(await bondedOf(f, node.address)).toBe(bonded);
  });

  it('a wrong execution: the node commits its lying trace and loses the bisection', async () => {
    const liar = liarOf(honestA);
    const bonded = await bondedOf(f, node.address);
    const ctx = await openOnDemand(liar);
    const end = await playOut(ctx, claimantFromView(node, liar), challengerFromView(challenger, honestA));
    expect(end.challengerWon).toBe(true);
    expect(await bondedOf(f, node.address)).toBe(bonded - DEV_PARAMETERS.slashAmount);
  });

  it("a committed trace inconsistent with the receipt's output cannot be revealed: the node runs out of time", async () => {
    const liar = liarOf(honestA);
    const bonded = await bondedOf(f, node.address);
    const ctx = await openOnDemand(liar); // the receipt states the wrong output
    const claimant = claimantFromView(node, honestA); // the trace it commits is the true one
    await claimant.move(ctx, await readGame(ctx)); // commitTrace
    expect((await readGame(ctx)).phase).toBe(Phase.AwaitFinal);
    await h
      .reverts(node, f.at.disputeGame, game, 'revealFinal', [ctx.disputeId, ...finalRevealArgs(honestA)])
      .toThrow(/OutputMismatch/);
    expect(await timeOut(ctx)).toBe(true);
    expect(await bondedOf(f, node.address)).toBe(bonded - DEV_PARAMETERS.slashAmount);
  });

  it("a committed trace inconsistent with the receipt's inputs loses at step 0", async () => {
    expect(toHex(honestB.trace.outputDigest)).not.toBe(toHex(honestA.trace.outputDigest));
    // The receipt: the client's inputs (A) with the output of other inputs (B); the node
    // commits B's trace, which makes that output but does not start from A.
    const signed = { ...honestB, trace: { ...honestB.trace, inputDigest: honestA.trace.inputDigest } };
    const bonded = await bondedOf(f, node.address);
    const ctx = await openOnDemand(signed);
    const end = await playOut(ctx, claimantFromView(node, honestB), challengerFromView(challenger, honestA));
    expect(end.challengerWon).toBe(true);
    expect(await bondedOf(f, node.address)).toBe(bonded - DEV_PARAMETERS.slashAmount);
  });

  it('a node that never commits its trace runs out of time and is slashed; only it may commit, once, a non-zero root', async () => {
    const bonded = await bondedOf(f, node.address);
    const ctx = await openOnDemand(honestA);
    const root = toHex(honestA.trace.traceRoot);
    await h
      .reverts(challenger, f.at.disputeGame, game, 'commitTrace', [ctx.disputeId, root])
      .toThrow(/NotYourTurn/);
    await h
      .reverts(node, f.at.disputeGame, game, 'commitTrace', [ctx.disputeId, `0x${'0'.repeat(64)}`])
      .toThrow(/NoTraceRoot/);
    expect(await timeOut(ctx)).toBe(true);
    expect(await bondedOf(f, node.address)).toBe(bonded - DEV_PARAMETERS.slashAmount);
    // An eager receipt carries its root: there is nothing to commit.
    const eager = await signView(f, honestA, ++nonce);
    const { claimId, batch } = await postClaim(f, [eager]);
    const disputeId = await openDispute(f, challenger, claimId, batch, 0);
    await h.reverts(node, f.at.disputeGame, game, 'commitTrace', [disputeId, root]).toThrow(/WrongPhase/);
  });
});
