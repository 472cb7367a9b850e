import {
  type ChainClient,
  claimantMoves,
  DEV_PARAMETERS,
  disputeGameArtifact,
  type ExecutionView,
  honestView,
  type LocalChain,
  Phase,
  type ScriptedParty,
  startAnvil,
} from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type Model, quantizeInput } from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChallenge } from './challenger.js';
import { DisputePlayer, type StepResult } from './player.js';
import { perturbValue } from './testing/faults.js';
import { TestNetwork, WATCHER } from './testing/network.js';

let chain: LocalChain;
let cnn: Model;
let honest: ExecutionView;

beforeAll(async () => {
  chain = await startAnvil();
  cnn = importMnistModel('cnn').model;
  honest = await honestView(cnn, [quantizeInput(cnn.graph, 0, loadMnist('test').images.subarray(0, 784))]);
});
afterAll(async () => {
  await chain?.stop();
});

type Hooks = {
  /** Runs after each read of the game's state (`get`), before the caller sees it. */
  readonly afterGet?: (state: { phase: number }) => Promise<void>;
  /** Runs before each transaction the player sends. */
  readonly beforeSend?: () => Promise<void>;
};

/**
 * The real chain client with the other side's moves injected at chosen points: the race a
 * player meets when its opponent (or a twin of itself) moves between its read and its send,
 * made deterministic. Every read and send still goes to anvil.
 */
function racingClient(client: ChainClient, hooks: Hooks): ChainClient {
  const isGet = (fn: string) => fn === 'get';
  const reader = new Proxy(client.reader, {
    get(target, key, receiver) {
      if (key !== 'readContract') return Reflect.get(target, key, receiver);
      return async (args: { functionName: string }) => {
        const result = await target.readContract(args as never);
        if (isGet(args.functionName)) await hooks.afterGet?.(result as { phase: number });
        return result;
      };
    },
  });
  return {
    ...client,
    reader,
    async read(address, abi, functionName, args) {
      const result = await client.read(address, abi, functionName, args);
      if (isGet(functionName)) await hooks.afterGet?.(result as { phase: number });
      return result;
    },
    async send(...args: Parameters<ChainClient['send']>) {
      await hooks.beforeSend?.();
      return client.send(...args);
    },
  };
}

/** A lying node's claim, its defender, and an honest challenger's opened game. */
async function lyingNodeChallenged(net: TestNetwork) {
  await net.answer(perturbValue(honest, 5, 3), 1n);
  await net.claimer.flush();
  const claimId = net.claimer.batches()[0]!.claimId!;
  const opened = await openChallenge({
    client: net.client,
    account: WATCHER,
    addresses: net.fixture.at,
    claimId,
    receipts: net.claimer.receiptsOf(claimId)!,
    index: 0,
    view: honest,
  });
  return { opened, defender: await net.defender() };
}

async function playUntilOver(step: () => Promise<StepResult>, between: () => Promise<void>) {
  for (let moves = 0; moves < 300; moves++) {
    const result = await step();
    if (result.kind === 'over') return result;
    await between();
  }
  throw new Error('the game did not end in 300 steps');
}

describe('a player whose read races the other side’s move', () => {
  it('decides again when the opponent moves between its read of the game and its turn check', async () => {
    const net = await TestNetwork.start(chain, cnn);
    try {
      const stake = await net.bonded();
      const { opened, defender } = await lyingNodeChallenged(net);
      let injected = 0;
      const player = new DisputePlayer({
        ...opened.options,
        // Each time the challenger reads a position in which the node is to move, the node
        // moves at once: the read the player just made is one move old.
        client: racingClient(net.client, {
          afterGet: async (state) => {
            if (state.phase === Phase.Resolved || !claimantMoves(state.phase)) return;
            injected++;
            await defender.poll();
          },
        }),
      });
      // The node moves only inside the challenger's reads: every one of its moves races one.
      const end = await playUntilOver(
        () => player.step(),
        async () => {},
      );
      expect(injected).toBeGreaterThan(3);
      expect(end).toMatchObject({ kind: 'over', won: true });
      expect(await net.bonded()).toBe(stake - DEV_PARAMETERS.slashAmount);
    } finally {
      await net.stop();
    }
  }, 120_000);

  it('decides again when a twin of itself (a second instance, same key) moved first, and wins', async () => {
    const net = await TestNetwork.start(chain, cnn);
    try {
      const { opened, defender } = await lyingNodeChallenged(net);
      const twin = new DisputePlayer(opened.options);
      let raced = 0;
      const player = new DisputePlayer({
        ...opened.options,
        // Before every one of the player's sends, its twin reads the same position and makes the
        // same move: the player's transaction arrives after its own move was already made.
        client: racingClient(net.client, {
          beforeSend: async () => {
            if ((await twin.step()).kind === 'moved') raced++;
          },
        }),
      });
      const end = await playUntilOver(
        () => player.step(),
        () => defender.poll(),
      );
      expect(raced).toBeGreaterThan(3);
      expect(end).toMatchObject({ kind: 'over', won: true });
    } finally {
      await net.stop();
    }
  }, 120_000);

  it('stays loud on a revert that no move of anyone explains', async () => {
    const net = await TestNetwork.start(chain, cnn);
    try {
      const { opened, defender } = await lyingNodeChallenged(net);
      // The node moves until it is the challenger's turn.
      for (let i = 0; i < 10 && claimantMoves(await readPhase(net, opened)); i++) await defender.poll();
      expect(claimantMoves(await readPhase(net, opened))).toBe(false);
      // A broken strategy: it calls `timeout` on a running clock instead of moving.
      const broken: ScriptedParty = {
        account: WATCHER,
        move: async (ctx) => {
          await ctx.h.send(WATCHER, ctx.game, disputeGameArtifact.abi, 'timeout', [ctx.disputeId]);
        },
      };
      const player = new DisputePlayer({ ...opened.options, strategy: broken });
      await expect(player.step()).rejects.toThrow(/ClockRunning/);
    } finally {
      await net.stop();
    }
  });
});

async function readPhase(net: TestNetwork, opened: DisputePlayer): Promise<number> {
  const { game, disputeId } = opened.options;
  const state = (await net.client.read(game, disputeGameArtifact.abi, 'get', [disputeId])) as {
    phase: number;
  };
  return state.phase;
}
