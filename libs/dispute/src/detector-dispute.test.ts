import { DEV_PARAMETERS, honestView, type LocalChain, startAnvil } from '@stoa/contracts';
import { detectorInput, importDetector, textPages } from '@stoa/example-ocr';
import { edgeInputsOf, quantizeInput } from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { perturbValue } from './testing/faults.js';
import { disputeGameGas } from './testing/game-gas.js';
import { TestNetwork } from './testing/network.js';

/** Minutes on a loaded machine: run on demand with STOA_DETECTOR_DISPUTE=1, not in CI. */
describe.runIf(process.env.STOA_DETECTOR_DISPUTE === '1')('a dispute over PP-OCRv4 detector', () => {
  it('slashes a node whose trace has one wrong value in a Resize step, played to the end on anvil', async () => {
    const chain: LocalChain = await startAnvil();
    const size = { height: 64, width: 96 };
    const { model } = importDetector(textPages(1, 1, 2, size));
    const [page] = textPages(1, 5, 2, size);
    const honest = await honestView(model, [quantizeInput(model.graph, 0, detectorInput(page!.image))]);
    const step = model.schedule.findIndex((edge) => model.graph.edgeOps[edge] === 'Resize');
    const net = await TestNetwork.start(chain, model, { clockSeconds: 900n });
    try {
      await net.answer(perturbValue(honest, step, 7, 3), 1n);
      await net.claimer.flush();
      const stake = await net.bonded();
      const first = await net.client.reader.getBlockNumber();
      await net.settle(await net.defender(), await net.watcher());
      const { transactions, gas, largest } = await disputeGameGas(net, first);
      console.log(
        `detector dispute (fault at step ${step} of ${model.schedule.length}, Resize): ${transactions} DisputeGame transactions, ${gas} gas in all, largest ${largest}; ${await net.resolutionReasons()}`,
      );
      expect(await net.bonded()).toBe(stake - DEV_PARAMETERS.slashAmount);
      expect(await net.resolutionReasons()).toEqual([expect.stringMatching(/one-step verifier disagrees/)]);
    } finally {
      await net.stop();
      await chain.stop();
    }
  }, 900_000);

  it('slashes a node with one wrong value in a 3×3 Conv over 96 channels at 192 × 384, its input opened as several ranges', async () => {
    const chain: LocalChain = await startAnvil();
    const { model } = importDetector(textPages(1, 1));
    const [page] = textPages(1, 5);
    const honest = await honestView(model, [quantizeInput(model.graph, 0, detectorInput(page!.image))]);
    // The last Conv reading 96 channels of 48 × 96 (its contiguous window: 858 KiB).
    const step = model.schedule.findLastIndex(
      (edge) =>
        model.graph.edgeOps[edge] === 'Conv' &&
        model.graph.nodeTypes[edgeInputsOf(model.graph, edge)[0]!]!.shape[1] === 96 &&
        model.graph.nodeTypes[edgeInputsOf(model.graph, edge)[1]!]!.shape[1] === 96,
    );
    const net = await TestNetwork.start(chain, model, { clockSeconds: 900n });
    try {
      await net.answer(perturbValue(honest, step, 7, 3), 1n);
      await net.claimer.flush();
      const stake = await net.bonded();
      const first = await net.client.reader.getBlockNumber();
      await net.settle(await net.defender(), await net.watcher());
      const { transactions, gas, largest } = await disputeGameGas(net, first);
      console.log(
        `detector dispute at 192 × 384 (fault at step ${step} of ${model.schedule.length}, Conv over 96 channels): ${transactions} DisputeGame transactions, ${gas} gas in all, largest ${largest}; ${await net.resolutionReasons()}`,
      );
      expect(await net.bonded()).toBe(stake - DEV_PARAMETERS.slashAmount);
      expect(await net.resolutionReasons()).toEqual([expect.stringMatching(/one-step verifier disagrees/)]);
    } finally {
      await net.stop();
      await chain.stop();
    }
  }, 1_800_000);
});
