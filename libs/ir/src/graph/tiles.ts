import type { OpDefinition } from '../ops/op.js';
import { findOp } from '../ops/registry.js';
import { sizeOf } from '../tensor.js';
import { type Attrs, edgeInputsOf, edgeOutputsOf, type Hypergraph, type TensorType } from './types.js';

/**
 * Target work per tile (multiply-accumulates or element reads). Op-set version 2: 128 (was
 * 4096), so that one tile of every step of PP-OCR's classifier re-executes on-chain within the
 * 300k kernel gas of a 500k one-step call (docs/semantics.md §4).
 */
export const TILE_WORK = 128;
/** No tile may exceed this, even one holding a single granule; validation enforces it. */
export const MAX_TILE_WORK = 65536;

/** A contiguous range [start, end) of the flat output of one step. */
export interface Tile {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly work: number;
}

export function maxElementWork(
  op: OpDefinition,
  inTypes: readonly TensorType[],
  outType: TensorType,
  attrs: Attrs,
): { work: number; problem?: string } {
  const work = op.elementWork(inTypes, outType, attrs) * op.tileGranule(inTypes, outType, attrs);
  if (work > MAX_TILE_WORK) {
    return {
      work,
      problem: `one tile needs ${work} units of work, over the ${MAX_TILE_WORK} limit per tile`,
    };
  }
  return { work };
}

/**
 * The canonical tile decomposition of an edge: its output split into contiguous ranges of
 * whole granules, each with at most max(TILE_WORK, one granule's work) units of work.
 */
export function tilesOf(graph: Hypergraph, edge: number): Tile[] {
  const op = findOp(graph.edgeOps[edge]!)!;
  const inTypes = [...edgeInputsOf(graph, edge)].map((n) => graph.nodeTypes[n]!);
  const outType = graph.nodeTypes[edgeOutputsOf(graph, edge)[0]!]!;
  const attrs = graph.edgeAttrs[edge]!;
  const perElement = op.elementWork(inTypes, outType, attrs);
  const granule = op.tileGranule(inTypes, outType, attrs);
  const perTile = granule * Math.max(1, Math.floor(TILE_WORK / (perElement * granule)));
  const total = sizeOf(outType.shape);
  const tiles: Tile[] = [];
  for (let start = 0; start < total; start += perTile) {
    const end = Math.min(total, start + perTile);
    tiles.push({ index: tiles.length, start, end, work: (end - start) * perElement });
  }
  return tiles;
}
