import type { Address, Hex, LocalAccount } from 'viem';
import { domainSeparator, keccak256, recoverTypedDataAddress, toBytes } from 'viem';
import { toHex } from '../commit/hash.js';

/** What a node returns with every answer: its commitment to how the answer was computed. */
export interface Receipt {
  readonly modelId: Hex;
  readonly inputDigest: Hex;
  readonly outputDigest: Hex;
  readonly traceRoot: Hex;
  readonly steps: number;
  readonly node: Address;
  readonly nonce: bigint;
}

export interface SignedReceipt extends Receipt {
  readonly signature: Hex;
}

/** EIP-712 domain: a receipt signed for one chain and one claim contract is void on any other. */
export interface ReceiptDomain {
  readonly chainId: number;
  readonly verifyingContract: Address;
}

export const RECEIPT_TYPES = {
  Receipt: [
    { name: 'modelId', type: 'bytes32' },
    { name: 'inputDigest', type: 'bytes32' },
    { name: 'outputDigest', type: 'bytes32' },
    { name: 'traceRoot', type: 'bytes32' },
    { name: 'steps', type: 'uint32' },
    { name: 'node', type: 'address' },
    { name: 'nonce', type: 'uint64' },
  ],
} as const;

/** EIP-712 type hash of `Receipt`, for the hand-written encoders of the hot paths. */
export const RECEIPT_TYPEHASH: Hex = keccak256(
  toBytes(
    'Receipt(bytes32 modelId,bytes32 inputDigest,bytes32 outputDigest,bytes32 traceRoot,uint32 steps,address node,uint64 nonce)',
  ),
);

/** The EIP-712 domain every receipt is signed under (the ClaimRegistry's, on its chain). */
function eip712Domain(domain: ReceiptDomain) {
  return { name: 'Stoa', version: '1', chainId: domain.chainId, verifyingContract: domain.verifyingContract };
}

/** The EIP-712 domain separator of `domain`: computed once by the encoders that hash many receipts. */
export function receiptDomainSeparator(domain: ReceiptDomain): Hex {
  return domainSeparator({ domain: eip712Domain(domain) });
}

function typedData(receipt: Receipt, domain: ReceiptDomain) {
  return {
    domain: eip712Domain(domain),
    types: RECEIPT_TYPES,
    primaryType: 'Receipt' as const,
    message: {
      modelId: receipt.modelId,
      inputDigest: receipt.inputDigest,
      outputDigest: receipt.outputDigest,
      traceRoot: receipt.traceRoot,
      steps: receipt.steps,
      node: receipt.node,
      nonce: receipt.nonce,
    },
  };
}

export function makeReceipt(
  fields: {
    modelId: Uint8Array;
    inputDigest: Uint8Array;
    outputDigest: Uint8Array;
    traceRoot: Uint8Array;
    steps: number;
  },
  node: Address,
  nonce: bigint,
): Receipt {
  return {
    modelId: toHex(fields.modelId),
    inputDigest: toHex(fields.inputDigest),
    outputDigest: toHex(fields.outputDigest),
    traceRoot: toHex(fields.traceRoot),
    steps: fields.steps,
    node,
    nonce,
  };
}

export async function signReceipt(
  receipt: Receipt,
  account: LocalAccount,
  domain: ReceiptDomain,
): Promise<SignedReceipt> {
  if (account.address.toLowerCase() !== receipt.node.toLowerCase()) {
    throw new Error(`receipt names node ${receipt.node} but the signing key is ${account.address}`);
  }
  const signature = await account.signTypedData(typedData(receipt, domain));
  return { ...receipt, signature };
}

/** True when the signature is the named node's signature over exactly these fields and domain. */
export async function verifyReceipt(receipt: SignedReceipt, domain: ReceiptDomain): Promise<boolean> {
  try {
    const signer = await recoverTypedDataAddress({
      ...typedData(receipt, domain),
      signature: receipt.signature,
    });
    return signer.toLowerCase() === receipt.node.toLowerCase();
  } catch {
    return false;
  }
}
