/**
 * Traces on demand, node side (issue 14): the node signs receipts with a zero trace root and
 * journals their inputs; when a dispute opens it rebuilds the trace from them, checks it against
 * the receipt, commits it and plays. The honest node keeps its stake; a node whose machine is
 * wrong, one whose rebuild does not match what it signed, and one that lost its inputs are slashed.
 */
import { challengerFromView, DEV_PARAMETERS, honestView, type LocalChain, startAnvil } from '@stoa/contracts';
import {
  type ExecutionBackend,
  execute,
  type IntTensor,
  type Model,
  Random,
  randomGraph,
  referenceBackend,
  toHex,
} from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChallenge } from './challenger.js';
import { isOnDemand, onDemandReceipt, rebuildView } from './on-demand.js';
import { DisputePlayer } from './player.js';
import { perturbingBackend } from './testing/faults.js';
import { TestNetwork, WATCHER } from './testing/network.js';

let chain: LocalChain;
let model: Model;
let inputs: IntTensor[];
let wrongStep: number;

beforeAll(async () => {
  chain = await startAnvil();
  ({ model, inputs } = randomGraph(3));
  const honest = await honestView(model, inputs);
  // The first step whose error reaches the output: a wrong machine, consistently wrong.
  wrongStep = -1;
  for (let step = 0; step < model.schedule.length; step++) {
    const { values } = await perturbingBackend(model, step).run(inputs);
    const out = model.graph.outputs[0]!;
    if (values[out]!.some((v, k) => v !== honest.values[out]![k])) {
      wrongStep = step;
      break;
    }
  }
  if (wrongStep < 0) throw new Error('no single perturbation changes this model’s output');
});
afterAll(async () => {
  await chain?.stop();
});

/** Plays a randomly lying challenger against `defender` until the game is over; the liar must lose. */
async function beatLiar(
  defender: { poll(): Promise<void> },
  game: ConstructorParameters<typeof DisputePlayer>[0],
  truth: Awaited<ReturnType<typeof honestView>>,
  seed: number,
): Promise<void> {
  const liar = new DisputePlayer({
    ...game,
    strategy: challengerFromView(WATCHER, truth, { random: new Random(seed) }),
  });
  let outcome: Awaited<ReturnType<DisputePlayer['step']>> | undefined;
  for (let moves = 0; moves < 200 && outcome?.kind !== 'over'; moves++) {
    await defender.poll();
    outcome = await liar.step();
  }
  expect(outcome).toMatchObject({ kind: 'over', won: false });
}

describe('on-demand receipts', () => {
  it('bind the digests the traced execution has, and a rebuild that ends elsewhere is refused', async () => {
    const traced = await execute(model, inputs, { trace: true });
    const receipt = onDemandReceipt(model, inputs, traced.outputs, WATCHER.address, 1n);
    expect(isOnDemand(receipt)).toBe(true);
    expect(receipt.inputDigest).toBe(toHex(traced.trace!.inputDigest));
    expect(receipt.outputDigest).toBe(toHex(traced.trace!.outputDigest));
    const signed = { ...receipt, signature: '0x' as const };
    expect(toHex((await rebuildView(model, inputs, signed)).trace.traceRoot)).toBe(
      toHex(traced.trace!.traceRoot),
    );
    await expect(rebuildView(model, inputs, signed, perturbingBackend(model, wrongStep))).rejects.toThrow(
      /rebuilt trace .* has outputDigest/,
    );
  });
});

describe('a node that signs on-demand receipts, on anvil', () => {
  // CI plays one game; STOA_ON_DEMAND_GAMES=50 is the run BENCHMARKS.md records (must show 5).
  const games = Number(process.env.STOA_ON_DEMAND_GAMES ?? 1);
  it(`rebuilds its trace when disputed, commits it and beats ${games} randomly lying challenger(s), keeping its stake`, async () => {
    const net = await TestNetwork.start(chain, model);
    try {
      const receipt = await net.answerOnDemand(inputs, 1n);
      await net.claimer.flush();
      expect(net.claimer.traces.keys()).toHaveLength(0); // nothing traced on the hot path
      const claimId = net.claimer.batches()[0]!.claimId!;
      const stake = await net.bonded();
      const watcher = await net.watcher();
      await watcher.poll();
      expect(watcher.report()).toMatchObject({ receiptsChecked: 1, faultsFound: 0 });

      const truth = await honestView(model, inputs);
      const defender = await net.defender();
      for (let seed = 1; seed <= games; seed++) {
        const opened = await openChallenge({
          client: net.client,
          account: WATCHER,
          addresses: net.fixture.at,
          claimId,
          receipts: [receipt],
          index: 0,
          view: truth,
        });
        await beatLiar(defender, opened.options, truth, seed + 4);
      }
      await defender.poll();
      const defences = [...defender.defences.values()];
      expect(defences.map((d) => d.outcome)).toEqual(Array(games).fill('won'));
      for (const d of defences) expect(d.rebuildMs).toBeGreaterThan(0);
      expect(await net.bonded()).toBe(stake);
    } finally {
      await net.stop();
    }
  });

  it('tries a failed rebuild again on the next poll, and wins', async () => {
    const net = await TestNetwork.start(chain, model);
    try {
      const receipt = await net.answerOnDemand(inputs, 1n);
      await net.claimer.flush();
      let failures = 1;
      const flaky: ExecutionBackend = {
        run: async (given) => {
          if (failures-- > 0) throw new Error('out of memory (a passing failure)');
          return referenceBackend(model).run(given);
        },
      };
      const defender = await net.defender(undefined, 'defender', flaky);
      const truth = await honestView(model, inputs);
      const opened = await openChallenge({
        client: net.client,
        account: WATCHER,
        addresses: net.fixture.at,
        claimId: net.claimer.batches()[0]!.claimId!,
        receipts: [receipt],
        index: 0,
        view: truth,
      });
      await defender.poll();
      const [defence] = [...defender.defences.values()];
      expect(defence).toMatchObject({
        attempts: 1,
        problem: expect.stringMatching(/out of memory.*try 1 of 5/),
      });
      await beatLiar(defender, opened.options, truth, 5);
      await defender.poll();
      expect(defence).toMatchObject({ attempts: 2, outcome: 'won' });
      expect(defence!.problem).toBeUndefined();
    } finally {
      await net.stop();
    }
  });

  const LOSERS: [string, (net: TestNetwork) => Promise<unknown>, RegExp][] = [
    [
      'a wrong machine: it rebuilds its wrong trace, commits it and loses the bisection',
      async (net) => net.defender(undefined, 'defender', perturbingBackend(model, wrongStep)),
      /one-step verifier disagrees/,
    ],
    [
      'a rebuild that does not match what it signed: it refuses to commit and runs out of time',
      async (net) => net.defender(), // rebuilds honestly; the receipt states the wrong output
      /ran out of time/,
    ],
  ];
  for (const [fault, defenderOf, decidedBy] of LOSERS) {
    it(`slashes ${fault}`, async () => {
      const net = await TestNetwork.start(chain, model, { clockSeconds: 900n });
      try {
        await net.answerOnDemand(inputs, 1n, perturbingBackend(model, wrongStep));
        await net.claimer.flush();
        const stake = await net.bonded();
        const defender = (await defenderOf(net)) as Awaited<ReturnType<TestNetwork['defender']>>;
        const watcher = await net.watcher();
        await net.settle(defender, watcher);
        expect(watcher.report()).toMatchObject({ faultsFound: 1, disputesWon: 1 });
        expect(await net.bonded()).toBe(stake - DEV_PARAMETERS.slashAmount);
        expect(await net.resolutionReasons()).toEqual([expect.stringMatching(decidedBy)]);
      } finally {
        await net.stop();
      }
    });
  }
});
