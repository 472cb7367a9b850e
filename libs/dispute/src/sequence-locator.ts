import { equalBytes, merkleLevels, subtreeRoot } from '@stoa/ir';

/**
 * The first disputed element of a committed sequence (a generation's tokens), found the way
 * the dispute game's phase 1 finds the first wrong step: the claimant committed a padded
 * SHA-256 Merkle tree (libs/ir's) over its leaves; each round it reveals the nodes log2(k)
 * levels below the current one, and the challenger, holding its own tree over the leaves it
 * re-derived, picks the leftmost that differs. A tree of n leaves is ⌈log2 n⌉ high, so the
 * descent takes ⌈⌈log2 n⌉ / log2 k⌉ = ⌈log_k n⌉ rounds.
 */

/** Every level of the tree over `leaves` (leaf data), leaf hashes first, root last. */
export const treeLevels: (leaves: readonly Uint8Array[]) => Uint8Array[][] = merkleLevels;

/** The claimant's move in one round: the 2^levels descendants of node `index` at `height`. */
export interface TreeRevealer {
  reveal(height: number, index: number, levels: number): Uint8Array[] | Promise<Uint8Array[]>;
}

/** A claimant that answers from the tree it committed to (right or wrong). */
export function treeRevealer(levels: readonly Uint8Array[][]): TreeRevealer {
  return {
    reveal(height, index, depth) {
      const width = 2 ** depth;
      return levels[height - depth]!.slice(index * width, (index + 1) * width);
    },
  };
}

/** A claimant's reveal that does not hash to the node it was asked to open: it loses the game. */
export class InconsistentReveal extends Error {
  constructor(
    readonly height: number,
    readonly index: number,
  ) {
    super(`the claimant's reveal under node ${index} at height ${height} does not hash to that node`);
    this.name = 'InconsistentReveal';
  }
}

export interface Located {
  /** The first leaf where the claimant's tree and the challenger's differ. */
  readonly index: number;
  /** The claimant's hash of that leaf. */
  readonly claimedLeaf: Uint8Array;
  readonly rounds: number;
}

/**
 * Descends from the claimant's `root` to the first leaf that differs from the challenger's own
 * tree `mine` (treeLevels over the same number of leaves), with split arity `arity` (a power of
 * two ≥ 2). Undefined when the roots agree: nothing to dispute.
 */
export async function locateFirstDifference(
  root: Uint8Array,
  claimant: TreeRevealer,
  mine: readonly Uint8Array[][],
  arity: number,
): Promise<Located | undefined> {
  const perRound = Math.log2(arity);
  if (!Number.isInteger(perRound) || perRound < 1)
    throw new RangeError(`arity must be a power of two ≥ 2, got ${arity}`);
  let height = mine.length - 1;
  if (equalBytes(root, mine[height]![0]!)) return undefined;
  let index = 0;
  let node = root;
  let rounds = 0;
  while (height > 0) {
    const depth = Math.min(perRound, height);
    const revealed = await claimant.reveal(height, index, depth);
    if (revealed.length !== 2 ** depth || !equalBytes(subtreeRoot(revealed), node))
      throw new InconsistentReveal(height, index);
    rounds++;
    const below = mine[height - depth]!;
    const pick = revealed.findIndex((h, j) => !equalBytes(h, below[index * 2 ** depth + j]!));
    // Some child differs: they hash to `node`, which differs from the challenger's node.
    index = index * 2 ** depth + pick;
    node = revealed[pick]!;
    height -= depth;
  }
  return { index, claimedLeaf: node, rounds };
}
