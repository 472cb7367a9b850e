import { leafHash, nodeHash } from '../commit/merkle.js';

const EMPTY = new Uint8Array(32);

/**
 * The Merkle tree of commit/merkle.ts (same leaf, node and padding rules, so the same proofs
 * verify), kept in memory so that changing one leaf rehashes only its path: state roots are
 * updated after every step at O(changed tensors · log nodes) hashes.
 */
export class IncrementalMerkleTree {
  private readonly levels: Uint8Array[][];

  constructor(leaves: readonly Uint8Array[]) {
    let width = 1;
    while (width < leaves.length) width *= 2;
    let level = Array.from({ length: width }, (_, i) => (i < leaves.length ? leafHash(leaves[i]!) : EMPTY));
    this.levels = [level];
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
      this.levels.push(next);
      level = next;
    }
  }

  get root(): Uint8Array {
    return this.levels.at(-1)![0]!;
  }

  update(index: number, leaf: Uint8Array): void {
    let i = index;
    this.levels[0]![i] = leafHash(leaf);
    for (let d = 1; d < this.levels.length; d++) {
      i >>= 1;
      const below = this.levels[d - 1]!;
      this.levels[d]![i] = nodeHash(below[2 * i]!, below[2 * i + 1]!);
    }
  }

  /** The node `height` levels above the leaves (0: a leaf hash) at position `index` in its level. */
  nodeAt(height: number, index: number): Uint8Array {
    const node = this.levels[height]?.[index];
    if (!node) throw new RangeError(`no node at height ${height}, index ${index}`);
    return node;
  }

  get height(): number {
    return this.levels.length - 1;
  }

  proof(index: number): Uint8Array[] {
    const proof: Uint8Array[] = [];
    let i = index;
    for (const level of this.levels.slice(0, -1)) {
      proof.push(level[i ^ 1]!);
      i >>= 1;
    }
    return proof;
  }
}
