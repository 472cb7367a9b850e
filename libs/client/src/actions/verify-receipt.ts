import { type ReceiptDomain, verifyReceipt as verifySignature } from '@stoa/ir';
import { toReceipt, type WireReceipt } from '../types.js';

export interface VerifyReceiptParameters {
  readonly receipt: WireReceipt;
  /** The chain and ClaimRegistry the receipts are signed for. */
  readonly domain: ReceiptDomain;
  /** The model the answer should come from (0x…); checked when given. */
  readonly modelId?: string;
}

export type VerifyReceiptReturnType = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks a receipt locally, trusting no one: its EIP-712 signature is the node's it names, and it
 * is for the expected model. (Whether the node is staked is on chain: read StakeManager.bondedOf.)
 */
export async function verifyReceipt(p: VerifyReceiptParameters): Promise<VerifyReceiptReturnType> {
  if (p.modelId && p.receipt.modelId.toLowerCase() !== p.modelId.toLowerCase())
    return { ok: false, reason: `the receipt is for model ${p.receipt.modelId}, not ${p.modelId}` };
  if (!(await verifySignature(toReceipt(p.receipt), p.domain)))
    return { ok: false, reason: `the signature is not node ${p.receipt.node}'s` };
  return { ok: true };
}
