import {
  fromHex,
  leafHash,
  nodeHash,
  RECEIPT_TYPEHASH,
  type ReceiptDomain,
  receiptDomainSeparator,
  type SignedReceipt,
  toHex,
} from '@stoa/ir';
import { type Address, type Hex, keccak256 } from 'viem';

const separators = new Map<string, string>();

const word = (hex: string) => {
  const digits = hex.slice(2).toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(digits)) throw new Error(`not a 32-byte word: ${hex}`);
  return digits.padStart(64, '0');
};

/**
 * The EIP-712 domain of a deployment's receipts: its chain and its ClaimRegistry, the contract
 * that checks them (contracts/src/Receipts.sol). A receipt signed for it is void on any other.
 */
export function receiptDomainOf(at: {
  readonly chainId: number;
  readonly claimRegistry: Address;
}): ReceiptDomain {
  return { chainId: at.chainId, verifyingContract: at.claimRegistry };
}

/**
 * The EIP-712 digest a node signs for a receipt (libs/ir receipt.ts; contracts/src/Receipts.sol):
 * keccak(0x1901 ‖ domain separator ‖ keccak(type hash ‖ the seven fields as words)). Encoded by
 * hand with the separator computed once per domain: viem's generic `hashTypedData` re-hashed the
 * domain and re-encoded the types for every receipt (≈ 0.34 ms each, a tenth of a loaded node's
 * CPU when it posts claims; BENCHMARKS.md, issue 14). `receipt-digest.test.ts` checks it
 * against `hashTypedData`.
 */
export function receiptDigest(receipt: SignedReceipt, domain: ReceiptDomain): Hex {
  const key = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}`;
  let separator = separators.get(key);
  if (!separator) {
    separator = word(receiptDomainSeparator(domain));
    separators.set(key, separator);
  }
  if (!Number.isInteger(receipt.steps) || receipt.steps < 0 || receipt.steps >= 2 ** 32)
    throw new Error(`receipt steps ${receipt.steps} is not a uint32`);
  if (receipt.nonce < 0n || receipt.nonce >= 2n ** 64n)
    throw new Error(`receipt nonce ${receipt.nonce} is not a uint64`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(receipt.node))
    throw new Error(`receipt node ${receipt.node} is not an address`);
  const struct = keccak256(
    `0x${word(RECEIPT_TYPEHASH)}${word(receipt.modelId)}${word(receipt.inputDigest)}${word(receipt.outputDigest)}${word(receipt.traceRoot)}${receipt.steps.toString(16).padStart(64, '0')}${word(receipt.node)}${receipt.nonce.toString(16).padStart(64, '0')}`,
  );
  return keccak256(`0x1901${separator}${word(struct)}`);
}

/** A batch leaf: `digest ‖ signature`, so the chain can check both the fields and the signer. */
export function receiptLeaf(receipt: SignedReceipt, domain: ReceiptDomain): Uint8Array {
  return concatBytes(fromHex(receiptDigest(receipt, domain)), fromHex(receipt.signature));
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * A binary SHA-256 tree over already-hashed leaves, padded with zero words to `2^depth` leaves
 * (depth: at least enough for the leaves). Proofs exist for every index below `2^depth`,
 * padding included, as the claim registry's count proofs need.
 */
export class HashTree {
  private readonly levels: Uint8Array[][];
  private readonly zeros: Uint8Array[];

  constructor(leafHashes: readonly Uint8Array[], depth?: number) {
    let need = 0;
    while (1 << need < leafHashes.length) need++;
    const d = depth ?? need;
    if (d < need) throw new Error(`a tree of depth ${d} cannot hold ${leafHashes.length} leaves`);
    const zero = new Uint8Array(32);
    // Levels are stored only as wide as the leaves reach; beyond that, each level is zero padding
    // hashed up (the "zero subtree" of that height).
    const zeros: Uint8Array[] = [zero];
    for (let k = 0; k < d; k++) zeros.push(nodeHash(zeros[k]!, zeros[k]!));
    let level = leafHashes.length > 0 ? [...leafHashes] : [zero];
    this.levels = [level];
    for (let k = 0; k < d; k++) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1] ?? zeros[k]!));
      level = next;
      this.levels.push(level);
    }
    this.zeros = zeros;
  }

  get depth(): number {
    return this.levels.length - 1;
  }

  get root(): Hex {
    return toHex(this.levels.at(-1)![0]!);
  }

  /** The leaf word at `index` (32 zero bytes for padding). */
  leaf(index: number): Hex {
    return toHex(this.levels[0]![index] ?? this.zeros[0]!);
  }

  proof(index: number): Hex[] {
    if (index < 0 || index >= 2 ** this.depth)
      throw new RangeError(`leaf ${index} is outside a tree of depth ${this.depth}`);
    const proof: Hex[] = [];
    let i = index;
    for (let k = 0; k < this.depth; k++) {
      proof.push(toHex(this.levels[k]![i ^ 1] ?? this.zeros[k]!));
      i >>= 1;
    }
    return proof;
  }
}

/** A batch of receipts as posted in one claim: its root, and proofs of each receipt in it. */
export class ReceiptBatch {
  private readonly tree: HashTree;
  private readonly digests: Hex[];

  /**
   * `digestOf`, when given, computes the receipts' EIP-712 digests in this batch's domain (libs/ir
   * `createReceiptDigester`, the node's own WebAssembly Keccak: ~10 µs a receipt against ~50 for
   * `receiptDigest`); the batch is the same either way.
   */
  constructor(
    readonly receipts: readonly SignedReceipt[],
    domain: ReceiptDomain,
    digestOf?: (receipt: SignedReceipt) => Uint8Array,
  ) {
    if (receipts.length === 0) throw new Error('a batch needs at least one receipt');
    const digests = receipts.map((r) => (digestOf ? digestOf(r) : fromHex(receiptDigest(r, domain))));
    this.digests = digests.map((d) => toHex(d));
    this.tree = new HashTree(
      receipts.map((r, i) => leafHash(concatBytes(digests[i]!, fromHex(r.signature)))),
    );
  }

  /** The EIP-712 digest of receipt `index`: the receipt's identity, whatever its signature. */
  digest(index: number): Hex {
    const digest = this.digests[index];
    if (digest === undefined)
      throw new RangeError(`receipt ${index} out of range 0..${this.digests.length - 1}`);
    return digest;
  }

  get root(): Hex {
    return this.tree.root;
  }

  /** The hashed leaf at `index` (zero past the last receipt). */
  leaf(index: number): Hex {
    return this.tree.leaf(index);
  }

  proof(index: number): Hex[] {
    if (index < 0 || index >= this.receipts.length)
      throw new RangeError(`leaf ${index} out of range 0..${this.receipts.length - 1}`);
    return this.tree.proof(index);
  }
}

/** The `Receipts.Receipt` struct argument for viem. */
export function receiptArg(r: SignedReceipt) {
  return {
    modelId: r.modelId,
    inputDigest: r.inputDigest,
    outputDigest: r.outputDigest,
    traceRoot: r.traceRoot,
    steps: r.steps,
    node: r.node,
    nonce: r.nonce,
  };
}
