import { DEV_PARAMETERS, honestView, type LocalChain, startAnvil } from '@stoa/contracts';
import { importRecognizer, recognizerLines } from '@stoa/example-ocr';
import { edgeInputsOf, quantizeInput } from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { perturbValue } from './testing/faults.js';
import { playFaultyAnswer } from './testing/game-gas.js';

/**
 * Minutes on a loaded machine (import, and three reference runs of the recognizer: the honest
 * trace, the faulty node's recomputation and the watcher's check): on demand with
 * STOA_RECOGNIZER_DISPUTE=1, not in CI.
 */
describe.runIf(process.env.STOA_RECOGNIZER_DISPUTE === '1')('a dispute over the PP-OCRv4 recognizer', () => {
  it('slashes a node whose trace has one wrong value in an attention block (q·kᵀ), played to the end on anvil', async () => {
    const chain: LocalChain = await startAnvil();
    const { model } = importRecognizer(recognizerLines(1, 1));
    const [line] = recognizerLines(1, 3);
    const honest = await honestView(model, [quantizeInput(model.graph, 0, line!.input)]);
    // The first attention block's scores: the BatchMatMul of two activations (q · kᵀ, [1,8,40,40]).
    const step = model.schedule.findIndex((edge) => model.graph.edgeOps[edge] === 'BatchMatMul');
    const { graph } = model;
    expect(edgeInputsOf(graph, model.schedule[step]!).every((n) => !graph.params.has(n))).toBe(true);
    // Head 2, query row 5, key 17: inside the tensor, not its first value.
    const element = 2 * 40 * 40 + 5 * 40 + 17;
    try {
      const played = await playFaultyAnswer(chain, perturbValue(honest, step, element, 3), 3600n);
      console.log(
        `recognizer dispute (fault at step ${step} of ${model.schedule.length}, BatchMatMul q·kᵀ, element ${element}): ${played.transactions} DisputeGame transactions ${JSON.stringify(played.calls)}, ${played.gas} gas in all, largest ${played.largest}; ${played.reasons}`,
      );
      expect(played.slashed).toBe(DEV_PARAMETERS.slashAmount);
      expect(played.reasons).toEqual([expect.stringMatching(/one-step verifier disagrees/)]);
    } finally {
      await chain.stop();
    }
  }, 1_800_000);
});
