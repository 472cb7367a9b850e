import { hash } from 'node:crypto';

/**
 * Binary SHA-256 Merkle tree, chosen to be cheap to check in the EVM: leaf = H(0x00 ‖ data),
 * node = H(0x01 ‖ left ‖ right), leaves padded with 32 zero bytes to a power of two. The
 * domain bytes keep a leaf from ever passing as an inner node.
 */
const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
const EMPTY = new Uint8Array(32);

// One-shot hashing of a reused buffer is twice as fast as createHash for 1 KiB leaves.
let scratch = new Uint8Array(1025);

function hashWithPrefix(prefix: Uint8Array, a: Uint8Array, b?: Uint8Array): Uint8Array {
  const length = 1 + a.length + (b?.length ?? 0);
  if (scratch.length < length) scratch = new Uint8Array(length);
  scratch.set(prefix, 0);
  scratch.set(a, 1);
  if (b) scratch.set(b, 1 + a.length);
  return new Uint8Array(hash('sha256', scratch.subarray(0, length), 'buffer'));
}

export function leafHash(data: Uint8Array): Uint8Array {
  return hashWithPrefix(LEAF, data);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return hashWithPrefix(NODE, left, right);
}

function layers(leafHashes: readonly Uint8Array[]): Uint8Array[][] {
  let width = 1;
  while (width < leafHashes.length) width *= 2;
  let level: Uint8Array[] = Array.from({ length: width }, (_, i) => leafHashes[i] ?? EMPTY);
  const all = [level];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    all.push(next);
    level = next;
  }
  return all;
}

/** Every level of the tree over the given leaf data: leaf hashes (padded) first, the root last. */
export function merkleLevels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  return layers(leaves.map(leafHash));
}

/** The root of a subtree from the hashes of its nodes at one level (a power of two of them). */
export function subtreeRoot(nodes: readonly Uint8Array[]): Uint8Array {
  return layers(nodes).at(-1)![0]!;
}

/** Root over the given leaf data; the root of no leaves is 32 zero bytes. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY;
  return layers(leaves.map(leafHash)).at(-1)![0]!;
}

/** Sibling hashes from the leaf up; the leaf's index bits say on which side each one sits. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (index < 0 || index >= leaves.length)
    throw new RangeError(`leaf ${index} out of range 0..${leaves.length - 1}`);
  const proof: Uint8Array[] = [];
  let i = index;
  for (const level of layers(leaves.map(leafHash)).slice(0, -1)) {
    proof.push(level[i ^ 1]!);
    i >>= 1;
  }
  return proof;
}

export function merkleRootFromProof(
  leaf: Uint8Array,
  index: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  let hash = leafHash(leaf);
  let i = index;
  for (const sibling of proof) {
    hash = (i & 1) === 0 ? nodeHash(hash, sibling) : nodeHash(sibling, hash);
    i >>= 1;
  }
  return hash;
}

export function verifyMerkleProof(
  root: Uint8Array,
  leaf: Uint8Array,
  index: number,
  proof: readonly Uint8Array[],
): boolean {
  if (index < 0 || index >= 2 ** proof.length) return false;
  const computed = merkleRootFromProof(leaf, index, proof);
  return computed.length === root.length && computed.every((v, k) => v === root[k]);
}

/** Throws unless `indices` are strictly ascending leaf indices below `count`. */
function checkIndices(indices: readonly number[], count: number): void {
  indices.forEach((x, k) => {
    if (!Number.isInteger(x) || x < 0 || x >= count)
      throw new RangeError(`multiproof index ${x} out of range 0..${count - 1}`);
    if (k > 0 && x <= indices[k - 1]!)
      throw new RangeError(`multiproof indices not strictly ascending at ${k}: ${indices[k - 1]}, ${x}`);
  });
}

/**
 * One proof for several leaves (contracts/src/Sha256Merkle.sol, rootFromMultiproof): the sibling
 * hashes not computed from the opened leaves themselves, level by level from the leaves, each
 * level left to right. `indices` are strictly ascending; empty gives an empty proof.
 */
export function merkleMultiproof(leaves: readonly Uint8Array[], indices: readonly number[]): Uint8Array[] {
  checkIndices(indices, leaves.length);
  if (indices.length === 0) return [];
  const proof: Uint8Array[] = [];
  let known = [...indices];
  for (const level of layers(leaves.map(leafHash)).slice(0, -1)) {
    const parents: number[] = [];
    for (let k = 0; k < known.length; k++) {
      const x = known[k]!;
      if ((x & 1) === 0 && known[k + 1] === x + 1) k++;
      else proof.push(level[x ^ 1]!);
      parents.push(x >> 1);
    }
    known = parents;
  }
  return proof;
}

/**
 * The root that `leaves` (data, not hashes) at strictly ascending `indices` reach through a
 * multiproof in the tree over `count` leaves, or undefined when the proof is not consumed exactly.
 */
export function merkleRootFromMultiproof(
  leaves: readonly Uint8Array[],
  indices: readonly number[],
  count: number,
  proof: readonly Uint8Array[],
): Uint8Array | undefined {
  checkIndices(indices, count);
  if (leaves.length !== indices.length || leaves.length === 0) return undefined;
  let depth = 0;
  while (2 ** depth < count) depth++;
  let nodes = leaves.map(leafHash);
  let known = [...indices];
  let p = 0;
  for (let d = 0; d < depth; d++) {
    const hashes: Uint8Array[] = [];
    const parents: number[] = [];
    for (let k = 0; k < known.length; k++) {
      const x = known[k]!;
      const node = nodes[k]!;
      const pairedRight = (x & 1) === 0 && known[k + 1] === x + 1;
      const sibling = pairedRight ? nodes[++k] : proof[p++];
      if (sibling === undefined) return undefined;
      hashes.push((x & 1) === 0 ? nodeHash(node, sibling) : nodeHash(sibling, node));
      parents.push(x >> 1);
    }
    nodes = hashes;
    known = parents;
  }
  return p === proof.length ? nodes[0] : undefined;
}
