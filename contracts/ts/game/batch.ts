import { fromHex, merkleProof, merkleRoot, type ReceiptDomain, type SignedReceipt, toHex } from '@stoa/ir';
import { type Hex, hashTypedData } from 'viem';

/** The EIP-712 digest a node signs for a receipt (libs/ir receipt.ts; contracts/src/Receipts.sol). */
export function receiptDigest(receipt: SignedReceipt, domain: ReceiptDomain): Hex {
  return hashTypedData({
    domain: {
      name: 'Stoa',
      version: '1',
      chainId: domain.chainId,
      verifyingContract: domain.verifyingContract,
    },
    types: {
      Receipt: [
        { name: 'modelId', type: 'bytes32' },
        { name: 'inputDigest', type: 'bytes32' },
        { name: 'outputDigest', type: 'bytes32' },
        { name: 'traceRoot', type: 'bytes32' },
        { name: 'steps', type: 'uint32' },
        { name: 'node', type: 'address' },
        { name: 'nonce', type: 'uint64' },
      ],
    },
    primaryType: 'Receipt',
    message: { ...receipt },
  });
}

/** A batch leaf: `digest ‖ signature`, so the chain can check both the fields and the signer. */
export function receiptLeaf(receipt: SignedReceipt, domain: ReceiptDomain): Uint8Array {
  const digest = fromHex(receiptDigest(receipt, domain));
  const signature = fromHex(receipt.signature);
  const leaf = new Uint8Array(digest.length + signature.length);
  leaf.set(digest, 0);
  leaf.set(signature, digest.length);
  return leaf;
}

/** A batch of receipts as posted in one claim: its root, and proofs of each receipt in it. */
export class ReceiptBatch {
  private readonly leaves: Uint8Array[];

  constructor(
    readonly receipts: readonly SignedReceipt[],
    domain: ReceiptDomain,
  ) {
    if (receipts.length === 0) throw new Error('a batch needs at least one receipt');
    this.leaves = receipts.map((r) => receiptLeaf(r, domain));
  }

  get root(): Hex {
    return toHex(merkleRoot(this.leaves));
  }

  proof(index: number): Hex[] {
    return merkleProof(this.leaves, index).map(toHex);
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
