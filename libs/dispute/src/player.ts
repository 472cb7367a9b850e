import {
  type ChainClient,
  challengerFromView,
  claimantFromView,
  disputeGameArtifact,
  type ExecutionView,
  type GameState,
  Phase,
  readGame,
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
    const { client, game, disputeId, account, role } = this.options;
    this.arity ??= Number(await client.read(game, abi, 'arity'));
    const ctx = { h: client, game, disputeId, arity: this.arity };
    const state = await readGame(ctx);
    if (state.phase === Phase.Resolved)
      return { kind: 'over', won: state.challengerWon === (role === 'challenger'), state };
    const [mover, secondsLeft] = (await client.read(game, abi, 'toMove', [disputeId])) as [Address, bigint];
    if (mover.toLowerCase() === account.address.toLowerCase()) {
      await this.strategy.move(ctx, state);
      return { kind: 'moved' };
    }
    if (secondsLeft === 0n && (await this.opponentOutOfTime())) {
      await client.send(account, game, abi, 'timeout', [disputeId]);
      return this.step(); // over now
    }
    return { kind: 'waiting', opponentSecondsLeft: secondsLeft };
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
