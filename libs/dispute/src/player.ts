import {
  type ChainClient,
  challengerFromView,
  claimantFromView,
  disputeGameArtifact,
  type ExecutionView,
  type GameState,
  Phase,
  type ScriptedParty,
} from '@stoa/contracts';
import type { Address, PrivateKeyAccount } from 'viem';

const abi = disputeGameArtifact.abi;

export type Role = 'claimant' | 'challenger';

export interface PlayerOptions {
  readonly client: ChainClient;
  readonly account: PrivateKeyAccount;
  readonly game: Address;
  readonly disputeId: bigint;
  readonly role: Role;
  /** This party's view of the disputed execution: the trace it committed to, or the true one. */
  readonly view: ExecutionView;
  /** How to move; defaults to playing honestly from `view`. Tests plug liars in here. */
  readonly strategy?: ScriptedParty;
}

/** Lost races one step takes up again before it reports the failure (each one is a real move). */
const MAX_RACES_PER_STEP = 8;

interface Position {
  readonly state: GameState;
  readonly mover: Address;
  readonly secondsLeft: bigint;
  readonly key: string;
}

/** Every field of the game, clocks and pending commitments included: any move changes one. */
function positionKey(state: GameState): string {
  return JSON.stringify(state, (_, value) => (typeof value === 'bigint' ? value.toString() : value));
}

export type StepResult =
  | { readonly kind: 'moved' }
  | { readonly kind: 'waiting'; readonly opponentSecondsLeft: bigint }
  | { readonly kind: 'over'; readonly won: boolean; readonly state: GameState };

/**
 * Plays one side of one dispute from chain state alone: each `step` reads the game, moves when
 * it is this party's turn, and ends the game when the opponent's clock has run out. Because
 * every decision is recomputed from the chain and the party's view, a player rebuilt after a
 * restart continues exactly where the old one stopped.
 */
export class DisputePlayer {
  private arity?: number;
  private readonly strategy: ScriptedParty;

  constructor(readonly options: PlayerOptions) {
    const { account, view, role } = options;
    this.strategy =
      options.strategy ??
      (role === 'claimant' ? claimantFromView(account, view) : challengerFromView(account, view));
  }

  async step(): Promise<StepResult> {
    return this.decide(MAX_RACES_PER_STEP);
  }

  /**
   * Reads the position, then moves, waits or ends the game. A move that fails after the
   * position changed under it (the opponent moved, or a twin of this player with the same key
   * made the move first) lost a race, which is a legitimate state of a two-party game: read
   * again and decide again. A failure on an unchanged position is a real error and is thrown.
   */
  private async decide(racesLeft: number): Promise<StepResult> {
    const { client, game, disputeId, account, role } = this.options;
    this.arity ??= Number(await client.read(game, abi, 'arity'));
    const ctx = { h: client, game, disputeId, arity: this.arity };
    const seen = await this.position();
    const { state, mover, secondsLeft } = seen;
    if (state.phase === Phase.Resolved)
      return { kind: 'over', won: state.challengerWon === (role === 'challenger'), state };
    const act =
      mover.toLowerCase() === account.address.toLowerCase()
        ? () => this.strategy.move(ctx, state)
        : secondsLeft === 0n && (await this.opponentOutOfTime())
          ? () => client.send(account, game, abi, 'timeout', [disputeId])
          : undefined;
    if (!act) return { kind: 'waiting', opponentSecondsLeft: secondsLeft };
    try {
      await act();
    } catch (error) {
      if (racesLeft === 0 || !(await this.movedSince(seen))) throw error;
      return this.decide(racesLeft - 1);
    }
    return mover.toLowerCase() === account.address.toLowerCase() ? { kind: 'moved' } : this.decide(racesLeft);
  }

  /** Steps until the game is over; waits `pollMs` between steps while the opponent thinks. */
  async playToEnd(options: { readonly pollMs?: number; readonly maxSteps?: number } = {}): Promise<{
    readonly won: boolean;
    readonly state: GameState;
  }> {
    for (let steps = 0; steps < (options.maxSteps ?? 10_000); steps++) {
      const result = await this.step();
      if (result.kind === 'over') return result;
      if (result.kind === 'waiting') await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
    }
    throw new Error(`dispute ${this.options.disputeId} not over after ${options.maxSteps ?? 10_000} steps`);
  }

  /**
   * The game and whose turn it is, both read at one block: read one after the other, an
   * opponent's move between the two reads made the player act on a position one move old ("the
   * challenger has no move in phase 7").
   */
  private async position(): Promise<Position> {
    const { client, game, disputeId } = this.options;
    const blockNumber = await client.reader.getBlockNumber();
    const at = (functionName: string) =>
      client.reader.readContract({
        address: game,
        abi,
        functionName,
        args: [disputeId],
        blockNumber,
      } as never);
    const [state, [mover, secondsLeft]] = (await Promise.all([at('get'), at('toMove')])) as [
      GameState,
      [Address, bigint],
    ];
    return { state, mover, secondsLeft, key: positionKey(state) };
  }

  /** Whether any move (or a timeout) has changed the game since `seen` was read. */
  private async movedSince(seen: Position): Promise<boolean> {
    const { client, game, disputeId } = this.options;
    return positionKey((await client.read(game, abi, 'get', [disputeId])) as GameState) !== seen.key;
  }

  /** `toMove` reads the latest block; the next block must also be past the clock for `timeout`. */
  private async opponentOutOfTime(): Promise<boolean> {
    const { client, game, disputeId, account } = this.options;
    try {
      await client.simulate(account, game, abi, 'timeout', [disputeId]);
      return true;
    } catch {
      return false;
    }
  }
}
