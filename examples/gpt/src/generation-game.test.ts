import {
  bondedOf,
  chainClient,
  challengerFromView,
  claimantFromView,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  deployGenerationGame,
  emitted,
  type GameFixture,
  generationGameArtifact,
  honestView,
  type LocalChain,
  openDispute,
  perturbStep,
  playOut,
  postClaim,
  receiptArg,
  setGenerationShape,
  setUpGame,
  signView,
  stakeManagerArtifact,
  startAnvil,
  tamperedView,
} from '@stoa/contracts';
import { treeLevels } from '@stoa/dispute';
import {
  boundaryTensorDigest,
  createOnnxRuntimeBackend,
  dtypeInfo,
  generationReceiptFields,
  modelId,
  type OnnxRuntimeBackend,
  type SamplingParams,
  sampleToken,
  signReceipt,
  type TokenStep,
  tensorBytes,
  toHex,
  tokenLeaf,
} from '@stoa/ir';
import { type Address, parseEther } from 'viem';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { honestSteps } from './generation-dispute.js';
import { type KeptGeneration, keptGeneration } from './generation-node.js';
import { importGpt, logitsFrac, tokensInput, trainingCalibration, windowOf } from './integer-model.js';
import { loadGptOnnx, loadTokenizer } from './models.js';

const tokenizer = loadTokenizer();
const calibration = trainingCalibration(tokenizer);
const { model } = importGpt(loadGptOnnx(), calibration);
const id = toHex(modelId(model));
const TOKENS = 13;
const ARITY = 4;
const PROMPT = 'call me ishmael. ';
const SAMPLING: SamplingParams = { seed: 42n, temperatureMilli: 900 };
const abi = generationGameArtifact.abi;
const [deployer, node, challenger] = DEV_ACCOUNTS;
const roundsFor = (n: number, k: number) => {
  let r = 0;
  while (k ** r < n) r++;
  return r;
};

let chain: LocalChain;
let backend: OnnxRuntimeBackend;
let f: GameFixture;
let game: Address;
let nonce = 1n;
/** Gas of each game's transactions, by what they did (BENCHMARKS.md). */
const gas: Record<string, bigint>[] = [];

beforeAll(async () => {
  [chain, backend] = await Promise.all([startAnvil(), createOnnxRuntimeBackend(model, { log: () => {} })]);
  const h = chainClient(chain.rpcUrl);
  f = await setUpGame(chain, h, deployer, node, model, { ...DEV_PARAMETERS, arity: BigInt(ARITY) });
  game = await deployGenerationGame(h, deployer, f.at, f.parameters);
  const input = model.graph.nodeTypes[model.graph.inputs[0]!]!;
  const output = model.graph.nodeTypes[model.graph.outputs[0]!]!;
  await setGenerationShape(h, deployer, game, id, {
    context: input.shape.at(-1)!,
    vocab: output.shape.at(-1)!,
    inputWidth: dtypeInfo(input.dtype).bytes,
    logitsWidth: dtypeInfo(output.dtype).bytes,
    logitsFrac: logitsFrac(model),
  });
}, 120_000);
afterAll(async () => {
  await backend?.close();
  await chain?.stop();
});

const serve = (sampling: SamplingParams) =>
  keptGeneration(model, backend, tokenizer, PROMPT, { maxTokens: TOKENS, sampling });

/** The node signs a generation receipt for `steps` saying `sampling`, claims it; a challenger opens the game. */
async function claimAndOpen(
  kept: KeptGeneration,
  steps: TokenStep[],
  sampling: SamplingParams,
  returned?: `0x${string}`,
) {
  const committed = generationReceiptFields(id, kept.promptTokens, sampling, steps);
  const fields = { ...committed, outputDigest: returned ?? committed.outputDigest };
  const domain = { chainId: foundry.id, verifyingContract: f.at.claimRegistry };
  const receipt = await signReceipt({ ...fields, node: node.address, nonce: nonce++ }, node, domain);
  const { claimId, batch } = await postClaim(f, [receipt]);
  const opened = await f.h.send(
    challenger,
    game,
    abi,
    'open',
    [claimId, receiptArg(receipt), receipt.signature, 0n, batch.proof(0)],
    f.parameters.challengeBond,
  );
  return {
    gameId: emitted(opened, game, 'GenerationDisputed').gameId as bigint,
    openGas: opened.receipt.gasUsed,
  };
}

interface GameState {
  phase: number;
  height: number;
  index: number;
  rounds: number;
  challengerWon: boolean;
}

/**
 * Plays the descent: the node reveals from its own token tree, the challenger picks the
 * leftmost child that differs from the tree it re-derived (the first one when none does: a
 * challenger disputing an honest generation), then the node opens the token reached.
 */
async function descend(gameId: bigint, claimant: TokenStep[], challengers: TokenStep[]) {
  const theirs = treeLevels(claimant.map((s, i) => tokenLeaf(i, s)));
  const mine = treeLevels(challengers.map((s, i) => tokenLeaf(i, s)));
  const used = { reveals: 0n, picks: 0n, openToken: 0n };
  const perRound = Math.log2(ARITY);
  for (;;) {
    const g = (await f.h.read(game, abi, 'get', [gameId])) as GameState;
    if (g.phase === 1) {
      const depth = Math.min(perRound, g.height);
      const width = 2 ** depth;
      const children = theirs[g.height - depth]!.slice(g.index * width, (g.index + 1) * width);
      const sent = await f.h.send(node, game, abi, 'revealChildren', [gameId, children.map(toHex)]);
      used.reveals += sent.receipt.gasUsed;
      const base = g.index * width;
      const differs = children.findIndex((c, j) => toHex(c) !== toHex(mine[g.height - depth]![base + j]!));
      const picked = await f.h.send(challenger, game, abi, 'pickChild', [
        gameId,
        BigInt(Math.max(0, differs)),
        children.map(toHex),
      ]);
      used.picks += picked.receipt.gasUsed;
    } else if (g.phase === 3) {
      const sent = await f.h.send(node, game, abi, 'openToken', [gameId, claimant[g.index]!]);
      used.openToken += sent.receipt.gasUsed;
    } else return { state: g, used };
  }
}

function logitsArg(kept: KeptGeneration, t: number) {
  return toHex(tensorBytes(model.graph.nodeTypes[model.graph.outputs[0]!]!.dtype, kept.logits[t]!.data));
}

const samplingArgs = (kept: KeptGeneration, s: SamplingParams) => [
  kept.promptTokens,
  BigInt(s.temperatureMilli),
  s.seed,
];

/** Challenger proves the sampler fault of the opened token; returns the resolution and the node's stake lost. */
async function proveSampler(gameId: bigint, kept: KeptGeneration, index: number) {
  const before = await bondedOf(f, node.address);
  const sent = await f.h.send(challenger, game, abi, 'proveSamplerFault', [
    gameId,
    ...samplingArgs(kept, SAMPLING),
    logitsArg(kept, index),
  ]);
  const resolved = emitted(sent, game, 'GenerationResolved');
  return { resolved, slashed: before - (await bondedOf(f, node.address)), proveGas: sent.receipt.gasUsed };
}

describe('the generation game on anvil', () => {
  it('slashes a node that changed one token; the token is found in ⌈log_k tokens⌉ rounds', async () => {
    const kept = await serve(SAMPLING);
    const changed = 6;
    const steps = kept.steps.map((s, i) =>
      i === changed ? { ...s, token: (s.token + 1) % tokenizer.vocabulary.length } : s,
    );
    const { gameId, openGas } = await claimAndOpen(kept, steps, SAMPLING);
    const honest = await honestSteps(model, backend, {
      ...kept,
      tokens: steps.map((s) => s.token),
      sampling: SAMPLING,
    });
    const { state, used } = await descend(gameId, steps, honest.steps);
    expect(state.index).toBe(changed);
    expect(state.rounds).toBe(roundsFor(TOKENS, ARITY));
    const { resolved, slashed, proveGas } = await proveSampler(gameId, kept, changed);
    expect(resolved).toMatchObject({ challengerWon: true, rounds: roundsFor(TOKENS, ARITY) });
    expect(slashed).toBe(f.parameters.slashAmount);
    gas.push({ open: openGas, ...used, proveSamplerFault: proveGas });
  }, 60_000);

  it('slashes a node that sampled with another seed than its receipt says', async () => {
    const kept = await serve({ ...SAMPLING, seed: SAMPLING.seed + 1n });
    const { gameId, openGas } = await claimAndOpen(kept, kept.steps, SAMPLING);
    const honest = await honestSteps(model, backend, { ...kept, sampling: SAMPLING });
    const first = honest.steps.findIndex((s, i) => s.token !== kept.tokens[i]);
    expect(first).toBeGreaterThanOrEqual(0);
    const { state, used } = await descend(gameId, kept.steps, honest.steps);
    expect(state).toMatchObject({ index: first, rounds: roundsFor(TOKENS, ARITY) });
    const { resolved, slashed, proveGas } = await proveSampler(gameId, kept, first);
    expect(resolved).toMatchObject({ challengerWon: true });
    expect(slashed).toBe(f.parameters.slashAmount);
    gas.push({ open: openGas, ...used, proveSamplerFault: proveGas });
  }, 60_000);

  it('slashes a node whose token ran on another window than the prompt and the tokens before it', async () => {
    const kept = await serve(SAMPLING);
    const t = 9;
    const steps = kept.steps.map((s, i) =>
      i === t ? { ...s, inputDigest: kept.steps[t - 1]!.inputDigest } : s,
    );
    const { gameId } = await claimAndOpen(kept, steps, SAMPLING);
    const { state } = await descend(gameId, steps, kept.steps);
    expect(state).toMatchObject({ index: t, rounds: roundsFor(TOKENS, ARITY) });
    const before = await bondedOf(f, node.address);
    const sent = await f.h.send(challenger, game, abi, 'proveWindowFault', [
      gameId,
      ...samplingArgs(kept, SAMPLING),
      kept.tokens,
    ]);
    expect(emitted(sent, game, 'GenerationResolved')).toMatchObject({ challengerWon: true });
    expect(before - (await bondedOf(f, node.address))).toBe(f.parameters.slashAmount);
    gas.push({ proveWindowFault: sent.receipt.gasUsed });
  }, 60_000);

  it('slashes a node whose token leaf disagrees with the tokens its receipt returned; a reveal must hash to its node', async () => {
    const kept = await serve(SAMPLING);
    const t = 3;
    const steps = kept.steps.map((s, i) =>
      i === t ? { ...s, token: (s.token + 1) % tokenizer.vocabulary.length } : s,
    );
    // The receipt returns the true tokens but its tree commits another token at t.
    const returned = generationReceiptFields(id, kept.promptTokens, SAMPLING, kept.steps).outputDigest;
    const { gameId } = await claimAndOpen(kept, steps, SAMPLING, returned);
    const wrong = Array.from({ length: ARITY }, () => toHex(new Uint8Array(32)));
    await expect(f.h.simulate(node, game, abi, 'revealChildren', [gameId, wrong])).rejects.toThrow(
      /WrongChildren/,
    );
    const { state } = await descend(gameId, steps, kept.steps);
    expect(state.index).toBe(t);
    const sent = await f.h.send(challenger, game, abi, 'proveTokenMismatch', [gameId, kept.tokens]);
    expect(emitted(sent, game, 'GenerationResolved')).toMatchObject({ challengerWon: true });
  }, 60_000);

  it('the on-chain sampler picks what sampling.ts picks, for every token of a generation at four temperatures', async () => {
    const kept = await serve(SAMPLING);
    const output = model.graph.nodeTypes[model.graph.outputs[0]!]!;
    const vocab = output.shape.at(-1)!;
    for (const temperatureMilli of [0, 500, 900, 1500])
      for (let t = 0; t < TOKENS; t++) {
        const position = kept.steps[t]!.position;
        const onChain = await f.h.read(game, abi, 'sampleToken', [
          logitsArg(kept, t),
          BigInt(position * vocab),
          BigInt(vocab),
          BigInt(dtypeInfo(output.dtype).bytes),
          BigInt(logitsFrac(model)),
          BigInt(temperatureMilli),
          SAMPLING.seed + BigInt(t),
          BigInt(t),
        ]);
        const params = { seed: SAMPLING.seed + BigInt(t), temperatureMilli };
        expect(onChain).toBe(BigInt(sampleToken(kept.logits[t]!, logitsFrac(model), position, params, t)));
      }
  }, 60_000);

  it('an honest node survives a dispute: every proof reverts NoFault, the challenger times out', async () => {
    const kept = await serve(SAMPLING);
    const { gameId } = await claimAndOpen(kept, kept.steps, SAMPLING);
    const before = await bondedOf(f, node.address);
    const { state } = await descend(gameId, kept.steps, kept.steps);
    expect(state.phase).toBe(4);
    const t = state.index;
    const tokens = kept.tokens;
    for (const [fn, args] of [
      ['proveSamplerFault', [...samplingArgs(kept, SAMPLING), logitsArg(kept, t)]],
      ['proveWindowFault', [...samplingArgs(kept, SAMPLING), tokens]],
      ['proveTokenMismatch', [tokens]],
    ] as const)
      await expect(f.h.simulate(challenger, game, abi, fn, [gameId, ...args])).rejects.toThrow(/NoFault/);
    // A seed other than the receipt's is refused before the sampler runs.
    await expect(
      f.h.simulate(challenger, game, abi, 'proveSamplerFault', [
        gameId,
        ...samplingArgs(kept, { ...SAMPLING, seed: 7n }),
        logitsArg(kept, t),
      ]),
    ).rejects.toThrow(/WrongPrompt/);
    await f.h.advance(f.parameters.clockSeconds + 1n);
    const sent = await f.h.send(challenger, game, abi, 'timeout', [gameId]);
    expect(emitted(sent, game, 'GenerationResolved')).toMatchObject({ challengerWon: false });
    expect(await bondedOf(f, node.address)).toBe(before);
    expect(await f.h.read(game, abi, 'credit', [node.address])).toBe(f.parameters.challengeBond);
  }, 60_000);

  it("hands over to DisputeGame when a token's logits are wrong; the node loses both games and is slashed", async () => {
    const kept = await serve(SAMPLING);
    const t = 5;
    // The node's step t: its forward pass ends one off in element 0 of the logits (row 0, which
    // the sampler never reads here: the prompt alone is 17 tokens), so every token stays the same
    // and only the step's committed logits are wrong.
    const context = model.graph.nodeTypes[model.graph.inputs[0]!]!.shape.at(-1)!;
    const window = windowOf([...kept.promptTokens, ...kept.tokens.slice(0, t)], context).ids;
    const honest = await honestView(model, [tokensInput(model, window)]);
    const liar = tamperedView(honest, perturbStep(model.schedule.length - 1));
    const output = model.graph.outputs[0]!;
    const lyingLogits = { ...model.graph.nodeTypes[output]!, data: liar.values[output]! };
    const steps = kept.steps.map((s, i) =>
      i === t ? { ...s, outputDigest: boundaryTensorDigest(model, output, lyingLogits) } : s,
    );
    // The node claims its generation receipt, and (in another claim) the step receipt of token t.
    const { gameId, openGas } = await claimAndOpen(kept, steps, SAMPLING);
    const stepReceipt = await signView(f, liar, nonce++);
    expect(stepReceipt.outputDigest).toBe(steps[t]!.outputDigest);
    const stepClaim = await postClaim(f, [stepReceipt]);
    const { state, used } = await descend(gameId, steps, kept.steps);
    expect(state).toMatchObject({ index: t, rounds: roundsFor(TOKENS, ARITY), phase: 4 });
    // Token, window and sampler all hold: the fault is in the forward pass.
    await expect(
      f.h.simulate(challenger, game, abi, 'proveSamplerFault', [
        gameId,
        ...samplingArgs(kept, SAMPLING),
        toHex(tensorBytes(lyingLogits.dtype, lyingLogits.data)),
      ]),
    ).rejects.toThrow(/NoFault/);
    // The earlier cases took most of the node's stake: it stakes again, so both slashes show.
    await f.h.send(node, f.at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('5'));
    const staked = await bondedOf(f, node.address);
    const disputeId = await openDispute(f, challenger, stepClaim.claimId, stepClaim.batch, 0);
    const handed = await f.h.send(challenger, game, abi, 'handOver', [gameId, disputeId]);
    expect(emitted(handed, game, 'HandedOver')).toMatchObject({ gameId, disputeId });
    await expect(f.h.simulate(challenger, game, abi, 'settleForward', [gameId])).rejects.toThrow(
      /DisputeNotResolved/,
    );
    const ctx = { h: f.h, game: f.at.disputeGame, disputeId, arity: ARITY };
    let disputeMoves = 0;
    const end = await playOut(ctx, claimantFromView(node, liar), challengerFromView(challenger, honest), {
      onMove: () => disputeMoves++,
    });
    expect(end).toMatchObject({ challengerWon: true, lo: model.schedule.length - 1 });
    // While it waits for the forward-pass verdict, the generation game has no clock to run out.
    await f.h.advance(f.parameters.clockSeconds + 1n);
    await expect(f.h.simulate(challenger, game, abi, 'timeout', [gameId])).rejects.toThrow(/WrongPhase/);
    const before = await bondedOf(f, node.address);
    expect(staked - before).toBe(f.parameters.slashAmount); // the step's claim, by DisputeGame
    const settled = await f.h.send(deployer, game, abi, 'settleForward', [gameId]);
    expect(emitted(settled, game, 'GenerationResolved')).toMatchObject({ challengerWon: true });
    expect(before - (await bondedOf(f, node.address))).toBe(f.parameters.slashAmount);
    gas.push({
      open: openGas,
      ...used,
      handOver: handed.receipt.gasUsed,
      settleForward: settled.receipt.gasUsed,
      disputeGameMoves: BigInt(disputeMoves),
    });
    console.log(`generation game gas (${TOKENS} tokens, k = ${ARITY}):`, gas);
  }, 120_000);
});
