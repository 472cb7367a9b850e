import { expect } from 'vitest';
import { tilesOf } from '../graph/tiles.js';
import { edgeInputsOf, edgeOutputsOf } from '../graph/types.js';
import { executeTile } from '../interpreter.js';
import type { Model } from '../model.js';

/** Asserts that every canonical tile of every step recomputes its slice of the whole run's `values`. */
export function expectTilesEqualWholeOps(
  model: Model,
  values: readonly (Int32Array | undefined)[],
  label: string,
): void {
  const { graph } = model;
  for (const e of model.schedule) {
    const full = values[edgeOutputsOf(graph, e)[0]!]!;
    const ins = [...edgeInputsOf(graph, e)].map((n) => values[n]!);
    for (const tile of tilesOf(graph, e)) {
      expect(executeTile(graph, e, ins, tile), `${label} edge ${e}`).toEqual(
        full.slice(tile.start, tile.end),
      );
    }
  }
}
