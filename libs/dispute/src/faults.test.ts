import { DEV_PARAMETERS, type ExecutionView, honestView, type LocalChain, startAnvil } from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { fromHex, type Model, quantizeInput, toHex } from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alteredOutput, fabricatedTrace, otherWeights, perturbValue, skipLayer } from './testing/faults.js';
import { TestNetwork } from './testing/network.js';

let chain: LocalChain;
let cnn: Model;
let honest: ExecutionView;
let honest2: ExecutionView;

beforeAll(async () => {
  chain = await startAnvil();
  cnn = importMnistModel('cnn').model;
  const test = loadMnist('test');
  const digit = (i: number) => [quantizeInput(cnn.graph, 0, test.images.subarray(784 * i, 784 * (i + 1)))];
  honest = await honestView(cnn, digit(0));
  honest2 = await honestView(cnn, digit(1));
});
afterAll(async () => {
  await chain?.stop();
});

/**
 * Every fault a dishonest node may commit, in a claim next to honest receipts: the watcher
 * (auditing every claim) finds it, wins the dispute, and the node is slashed.
 */
const FAULTS: [string, () => ExecutionView | Promise<ExecutionView>, RegExp][] = [
  [
    'skipping a layer (the first ReLU passes its input through)',
    () => skipLayer(honest, 1),
    /one-step verifier disagrees/,
  ],
  [
    'a perturbed value in one intermediate tensor',
    () => perturbValue(honest, 3, 40, 2),
    /one-step verifier disagrees/,
  ],
  // The first convolution's weights are changed; the one-step opens the registered ones (the
  // initial state is rebuilt from the weightsRoot) and computes a different tile.
  ['different weights', () => otherWeights(honest), /one-step verifier disagrees/],
  // A node that never computed its trace cannot open the leaf the game lands on.
  ['the correct output with a fabricated trace', () => fabricatedTrace(honest), /ran out of time/],
  // ... nor show that its final state makes the output digest it signed.
  ['a consistent trace with an altered output', () => alteredOutput(honest), /ran out of time/],
];

describe('the dispute engine against a dishonest node, on anvil, with real traced executions', () => {
  for (const [fault, make, decidedBy] of FAULTS) {
    it(`detects and slashes ${fault}`, async () => {
      const net = await TestNetwork.start(chain, cnn, { clockSeconds: 900n });
      try {
        const bad = await make();
        const commitment = (v: ExecutionView) => toHex(v.trace.traceRoot) + toHex(v.trace.outputDigest);
        expect(commitment(bad)).not.toBe(commitment(honest));
        await net.answer(honest2, 1n);
        await net.answer(bad, 2n);
        await net.claimer.flush();
        const [batch] = net.claimer.batches();
        const stake = await net.bonded();
        const defender = await net.defender();
        const watcher = await net.watcher();

        await net.settle(defender, watcher);

        const report = watcher.report();
        expect(report).toMatchObject({
          receiptsChecked: 2,
          faultsFound: 1,
          disputesOpened: 1,
          disputesWon: 1,
        });
        expect(report.findings[0]!.index).toBe(1);
        expect(await net.bonded()).toBe(stake - DEV_PARAMETERS.slashAmount);
        expect(await net.claimStatus(batch!.claimId!)).toBe(3); // Rejected
        expect(await net.resolutionReasons()).toEqual([expect.stringMatching(decidedBy)]);
      } finally {
        await net.stop();
      }
    });
  }

  it('detects and slashes an honest trace in a claim with a wrong receipt signature', async () => {
    const net = await TestNetwork.start(chain, cnn);
    try {
      const receipt = await net.answer(honest, 1n);
      const signature = fromHex(receipt.signature);
      signature[10]! ^= 0x01;
      // The claimer batches what the node hands it: here a receipt whose signature is broken.
      await net.claimer.add({ ...receipt, nonce: 2n, signature: toHex(signature) }, honest);
      await net.claimer.flush();
      const stake = await net.bonded();
      const watcher = await net.watcher();
      await net.settle(await net.defender(), watcher);
      expect(watcher.report()).toMatchObject({ faultsFound: 1, disputesWon: 1 });
      expect(watcher.report().findings[0]!.reason).toBe('bad signature');
      expect(await net.bonded()).toBe(stake - DEV_PARAMETERS.slashAmount);
    } finally {
      await net.stop();
    }
  });

  it('finds nothing wrong with an honest node and slashes nothing', async () => {
    const net = await TestNetwork.start(chain, cnn);
    try {
      await net.answer(honest, 1n);
      await net.answer(honest2, 2n);
      await net.claimer.flush();
      const stake = await net.bonded();
      const watcher = await net.watcher();
      await net.settle(await net.defender(), watcher);
      expect(watcher.report()).toMatchObject({
        claimsSampled: 1,
        receiptsChecked: 2,
        faultsFound: 0,
        disputesOpened: 0,
      });
      expect(await net.bonded()).toBe(stake);
    } finally {
      await net.stop();
    }
  });
});
