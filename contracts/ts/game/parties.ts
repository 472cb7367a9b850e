import { edgeOutputsOf, type Random, tilesOf, toHex } from '@stoa/ir';
import type { Address, Hex, PrivateKeyAccount } from 'viem';
import { disputeGameArtifact } from '../artifacts.generated.js';
import { stepDescriptor, stepProof } from '../one-step/descriptor.js';
import type { ChainClient } from './client.js';
import { claimantMoves, Phase } from './phases.js';
import {
  childrenOf,
  type ExecutionView,
  finalRevealArgs,
  type GamePoint,
  initialStateArgs,
  nodeBytes,
  outputChunkTree,
  revealStepArgs,
  stateAfterWith,
  tileWitness,
  traceTree,
  transitionArgs,
} from './witness.js';

const abi = disputeGameArtifact.abi;
type Harness = ChainClient;

/** DisputeGame.get(id), as viem decodes it. */
export interface GameState {
  readonly phase: number;
  readonly lo: number;
  readonly loKnown: boolean;
  readonly challengerWon: boolean;
  readonly rounds: number;
  readonly level: number;
  readonly nodeIndex: number;
  readonly chunks: number;
  readonly hiPoint: GamePoint;
}

export interface GameContext {
  readonly h: Harness;
  readonly game: Address;
  readonly disputeId: bigint;
  readonly arity: number;
}

/**
 * One side of a game, scripted: it moves when the game says it is its turn. Used by the tests
 * and the gas benchmark to play complete games on a real chain.
 */
export interface ScriptedParty {
  readonly account: PrivateKeyAccount;
  move(ctx: GameContext, state: GameState): Promise<void>;
}

export async function readGame(ctx: GameContext): Promise<GameState> {
  return (await ctx.h.read(ctx.game, abi, 'get', [ctx.disputeId])) as GameState;
}

async function lastEvent(ctx: GameContext, eventName: string): Promise<Record<string, unknown>> {
  const logs = await ctx.h.reader.getContractEvents({
    address: ctx.game,
    abi,
    eventName,
    args: { disputeId: ctx.disputeId },
    fromBlock: 0n,
  } as never);
  const last = logs.at(-1) as { args: Record<string, unknown> } | undefined;
  if (!last) throw new Error(`no ${eventName} event for dispute ${ctx.disputeId}`);
  return last.args;
}

function levelsPerRound(arity: number): number {
  return Math.log2(arity);
}

/**
 * A claimant that defends the trace it committed to, whatever that trace is: honest when its
 * view is the true execution, a consistent liar when the view was tampered with.
 */
export function claimantFromView(account: PrivateKeyAccount, view: ExecutionView): ScriptedParty {
  const send = (ctx: GameContext, fn: string, args: unknown[]) =>
    ctx.h.send(account, ctx.game, abi, fn, [ctx.disputeId, ...args]);
  return {
    account,
    async move(ctx, state) {
      switch (state.phase) {
        case Phase.AwaitTrace:
          await send(ctx, 'commitTrace', [toHex(view.trace.traceRoot)]);
          return;
        case Phase.AwaitFinal:
          await send(ctx, 'revealFinal', [...finalRevealArgs(view)]);
          return;
        case Phase.TraceDescend: {
          const m = Math.min(levelsPerRound(ctx.arity), state.level);
          await send(ctx, 'revealChildren', [childrenOf(traceTree(view), state.level, state.nodeIndex, m)]);
          return;
        }
        case Phase.RevealStep:
          await send(ctx, 'revealStep', [...revealStepArgs(view, state.lo)]);
          return;
        case Phase.RevealRoot:
          await send(ctx, 'revealOutputRoot', [toHex(outputChunkTree(view, state.lo).tree.root)]);
          return;
        case Phase.OutputDescend: {
          const m = Math.min(levelsPerRound(ctx.arity), state.level);
          const { tree } = outputChunkTree(view, state.lo);
          await send(ctx, 'revealChildren', [childrenOf(tree, state.level, state.nodeIndex, m)]);
          return;
        }
        case Phase.RevealChunk: {
          const { chunks } = outputChunkTree(view, state.lo);
          await send(ctx, 'revealChunk', [toHex(chunks[state.nodeIndex]!)]);
          return;
        }
        default:
          throw new Error(`the claimant has no move in phase ${state.phase}`);
      }
    },
  };
}

/**
 * A challenger that knows the true execution (`view`). Honest: it picks the first disagreement
 * at every round and proves it. A liar (`liar` set): it picks at random, and at the end names a
 * random tile, with the only witness that binds to the agreed state (the true one).
 */
/**
 * Builds the one-step witness for output elements [start, end) of a step: `tileWitness` for the
 * re-execution verifier, a proof-carrying witness for a Groth16 verifier (circuits/).
 */
export type WitnessBuilder = (
  view: ExecutionView,
  step: number,
  start: number,
  end: number,
) => Hex | Promise<Hex>;

export function challengerFromView(
  account: PrivateKeyAccount,
  view: ExecutionView,
  liar?: { readonly random: Random },
  witness: WitnessBuilder = tileWitness,
): ScriptedParty {
  const { model } = view;
  const send = (ctx: GameContext, fn: string, args: unknown[]) =>
    ctx.h.send(account, ctx.game, abi, fn, [ctx.disputeId, ...args]);
  const pick = (count: number, honest: () => number) => (liar ? liar.random.int(0, count - 1) : honest());
  return {
    account,
    async move(ctx, state) {
      switch (state.phase) {
        case Phase.TracePick:
        case Phase.OutputPick: {
          const { children } = (await lastEvent(ctx, 'ChildrenRevealed')) as { children: Hex[] };
          const m = Math.log2(children.length);
          const tree =
            state.phase === Phase.TracePick ? traceTree(view) : outputChunkTree(view, state.lo).tree;
          const mine = childrenOf(tree, state.level, state.nodeIndex, m);
          const firstWrong = children.findIndex((c, j) => c.toLowerCase() !== mine[j]!.toLowerCase());
          await send(ctx, 'pickChild', [
            BigInt(pick(children.length, () => Math.max(0, firstWrong))),
            children,
          ]);
          return;
        }
        case Phase.StepReached: {
          if (state.lo === 0 && !state.loKnown)
            await send(ctx, 'setInitialState', [...initialStateArgs(view)]);
          const claimed = state.hiPoint;
          const transitionWrong =
            claimed.edge !== model.schedule[state.lo] ||
            stateAfterWith(view, state.lo, claimed.output).toLowerCase() !== claimed.state.toLowerCase();
          if (transitionWrong && !liar) {
            await send(ctx, 'proveTransitionFault', [...transitionArgs(view, state.lo, claimed.output)]);
          } else {
            await send(ctx, 'startTileBisection', [
              stepDescriptor(model, state.lo),
              stepProof(model, state.lo),
            ]);
          }
          return;
        }
        case Phase.OneStep: {
          const { data } = (await lastEvent(ctx, 'ChunkRevealed')) as { data: Hex };
          const theirs = Buffer.from(data.slice(2), 'hex');
          const edge = model.schedule[state.lo]!;
          const output = edgeOutputsOf(model.graph, edge)[0]!;
          const width =
            nodeBytes(view, output).length / model.graph.nodeTypes[output]!.shape.reduce((a, b) => a * b, 1);
          const mine = outputChunkTree(view, state.lo).chunks[state.nodeIndex]!;
          const chunkStart = (state.nodeIndex * 1024) / width;
          const chunkEnd = chunkStart + theirs.length / width;
          const tiles = tilesOf(model.graph, edge).filter((t) => t.start < chunkEnd && t.end > chunkStart);
          const firstWrongByte = theirs.findIndex((b, i) => b !== mine[i]);
          const wrongElement = chunkStart + Math.floor(Math.max(0, firstWrongByte) / width);
          const tile =
            tiles[
              pick(tiles.length, () =>
                tiles.findIndex((t) => t.start <= wrongElement && wrongElement < t.end),
              )
            ]!;
          const start = Math.max(tile.start, chunkStart);
          const end = Math.min(tile.end, chunkEnd);
          await send(ctx, 'proveTile', [
            stepDescriptor(model, state.lo),
            data,
            BigInt(tile.index),
            await witness(view, state.lo, start, end),
          ]);
          return;
        }
        default:
          throw new Error(`the challenger has no move in phase ${state.phase}`);
      }
    },
  };
}

/** Plays a game to its end, each party moving in turn; returns the final state. */
export async function playOut(
  ctx: GameContext,
  claimant: ScriptedParty,
  challenger: ScriptedParty,
  options: { readonly maxMoves?: number; readonly onMove?: (state: GameState) => void } = {},
): Promise<GameState> {
  for (let moves = 0; moves < (options.maxMoves ?? 200); moves++) {
    const state = await readGame(ctx);
    if (state.phase === Phase.Resolved) return state;
    options.onMove?.(state);
    await (claimantMoves(state.phase) ? claimant : challenger).move(ctx, state);
  }
  throw new Error(`dispute ${ctx.disputeId} did not end within ${options.maxMoves ?? 200} moves`);
}
