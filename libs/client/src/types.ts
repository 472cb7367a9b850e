import type { SignedReceipt } from '@stoa/ir';

/** A receipt as JSON carries its nonce as a decimal string. */
export type WireReceipt = Omit<SignedReceipt, 'nonce'> & { readonly nonce: string };

export const toReceipt = (r: WireReceipt): SignedReceipt => ({ ...r, nonce: BigInt(r.nonce) });
