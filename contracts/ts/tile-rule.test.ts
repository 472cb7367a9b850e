import {
  type Model,
  opNames,
  randomActivationGraph,
  randomAttentionGraph,
  randomConvAccumulateGraph,
  randomGraph,
  randomMovementGraph,
  randomSoftmaxSegmentsGraph,
  randomTextGraph,
  randomUpsampleGraph,
  tilesOf,
} from '@stoa/ir';
import { describe, expect, it } from 'vitest';
import { tileRuleHarnessArtifact } from './artifacts.generated.js';
import { type StepDescriptor, stepDescriptor } from './one-step/descriptor.js';
import { anvilFixture } from './testing/harness.js';

/** Random graphs of each generator: together they hold every op of the registry. */
const GRAPHS = 12;
/** Steps per eth_call. */
const BATCH = 100;

const anvil = anvilFixture(tileRuleHarnessArtifact);

describe("TileRule.sol (DisputeGame's tile decomposition) vs tilesOf", () => {
  it('cuts every step of random graphs of every op into the same tiles', async () => {
    const generators: ((seed: number) => { model: Model })[] = [
      randomGraph,
      randomActivationGraph,
      randomAttentionGraph,
      randomTextGraph,
      randomUpsampleGraph,
      randomMovementGraph,
      randomSoftmaxSegmentsGraph,
      randomConvAccumulateGraph,
      (seed) => randomConvAccumulateGraph(seed, true),
    ];
    const steps: { step: StepDescriptor; op: string; firstEnd: number; total: number; several: boolean }[] =
      [];
    for (const graph of generators) {
      for (let seed = 1; seed <= GRAPHS; seed++) {
        const { model } = graph(seed);
        model.schedule.forEach((edge, index) => {
          const tiles = tilesOf(model.graph, edge);
          steps.push({
            step: stepDescriptor(model, index),
            op: model.graph.edgeOps[edge]!,
            firstEnd: tiles[0]!.end,
            total: tiles.at(-1)!.end,
            several: tiles.length > 1,
          });
        });
      }
    }
    for (let at = 0; at < steps.length; at += BATCH) {
      const batch = steps.slice(at, at + BATCH);
      const perTile = (await anvil.h.read(anvil.address, tileRuleHarnessArtifact.abi, 'elementsPerTile', [
        batch.map((s) => s.step),
      ])) as readonly bigint[];
      // tilesOf's tiles are [k · p, min(total, (k + 1) · p)): equal iff their first ends agree.
      for (const [k, s] of batch.entries())
        expect(Math.min(Number(perTile[k]!), s.total), `step ${s.step.index} ${s.op}`).toBe(s.firstEnd);
    }
    // Every op is checked on a step of several tiles, where the count per tile shows.
    const checked = new Set(steps.filter((s) => s.several).map((s) => s.op));
    expect(opNames().filter((name) => !checked.has(name))).toEqual([]);
  });
});
