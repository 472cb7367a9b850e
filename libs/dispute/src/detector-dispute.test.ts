import { DEV_PARAMETERS, honestView, type LocalChain, startAnvil } from '@stoa/contracts';
import { detectorInput, importDetector, textPages } from '@stoa/example-ocr';
import { edgeInputsOf, edgeOutputsOf, quantizeInput } from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { perturbValue } from './testing/faults.js';
import { playFaultyAnswer } from './testing/game-gas.js';

/** Minutes on a loaded machine: run on demand with STOA_DETECTOR_DISPUTE=1, not in CI. */
describe.runIf(process.env.STOA_DETECTOR_DISPUTE === '1')('a dispute over PP-OCRv4 detector', () => {
  it('slashes a node whose trace has one wrong value in a Resize step, played to the end on anvil', async () => {
    const chain: LocalChain = await startAnvil();
    const size = { height: 64, width: 96 };
    const { model } = importDetector(textPages(1, 1, 2, size));
    const [page] = textPages(1, 5, 2, size);
    const honest = await honestView(model, [quantizeInput(model.graph, 0, detectorInput(page!.image))]);
    const step = model.schedule.findIndex((edge) => model.graph.edgeOps[edge] === 'Resize');
    try {
      const played = await playFaultyAnswer(chain, perturbValue(honest, step, 7, 3), 900n);
      console.log(
        `detector dispute (fault at step ${step} of ${model.schedule.length}, Resize): ${played.transactions} DisputeGame transactions, ${played.gas} gas in all, largest ${played.largest} (${played.largestCall}); calls ${JSON.stringify(played.calls)}; ${played.reasons}`,
      );
      expect(played.slashed).toBe(DEV_PARAMETERS.slashAmount);
      expect(played.reasons).toEqual([expect.stringMatching(/one-step verifier disagrees/)]);
    } finally {
      await chain.stop();
    }
  }, 900_000);

  it('slashes a node with one wrong accumulator limb in a link of the split 3×3 Conv over 96 channels at 192 × 384, its input opened as several ranges', async () => {
    const chain: LocalChain = await startAnvil();
    const { model } = importDetector(textPages(1, 1));
    const [page] = textPages(1, 5);
    const honest = await honestView(model, [quantizeInput(model.graph, 0, detectorInput(page!.image))]);
    // The last Conv reading 96 channels of 48 × 96 (858 KiB) is a chain of ConvAccumulate links
    // of 2 channels (DETECTOR_CONV_SPLIT_CHUNKS): the last link that emits accumulator limbs.
    const step = model.schedule.findLastIndex((edge) => {
      const x = model.graph.nodeTypes[edgeInputsOf(model.graph, edge)[0]!]!;
      return (
        model.graph.edgeOps[edge] === 'ConvAccumulate' &&
        x.shape[1] === 96 &&
        x.shape[2] === 48 &&
        model.graph.nodeTypes[edgeOutputsOf(model.graph, edge)[0]!]!.shape.length === 5
      );
    });
    expect(step).toBeGreaterThan(0);
    try {
      const played = await playFaultyAnswer(chain, perturbValue(honest, step, 7, 3), 900n);
      console.log(
        `detector dispute at 192 × 384 (fault at step ${step} of ${model.schedule.length}, a ConvAccumulate link of the 3×3 Conv over 96 channels): ${played.transactions} DisputeGame transactions, ${played.gas} gas in all, largest ${played.largest} (${played.largestCall}); calls ${JSON.stringify(played.calls)}; ${played.reasons}`,
      );
      expect(played.slashed).toBe(DEV_PARAMETERS.slashAmount);
      expect(played.reasons).toEqual([expect.stringMatching(/one-step verifier disagrees/)]);
    } finally {
      await chain.stop();
    }
  }, 1_800_000);
});
