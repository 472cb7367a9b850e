import { fromHex, type ReceiptDomain, type SignedReceipt } from '@stoa/ir';
import { type Address, type Hex, hashTypedData, type LocalAccount } from 'viem';
import { receiptDigest } from '../game/batch.js';

/**
 * A voucher: the deployment's voucher signer (the gateway, on its client's behalf) stands
 * behind one receipt, i.e. the request it answered. FeeEscrow pays only vouched receipts, so a
 * node cannot invent work to collect fees (contracts/src/FeeEscrow.sol `voucherDigest`).
 */
export interface VoucherDomain {
  readonly chainId: number;
  /** The FeeEscrow contract. */
  readonly verifyingContract: Address;
}

const VOUCHER_TYPES = { Voucher: [{ name: 'receiptDigest', type: 'bytes32' }] } as const;

function voucherTypedData(digest: Hex, domain: VoucherDomain) {
  return {
    domain: { name: 'Stoa Fees', version: '1', ...domain },
    types: VOUCHER_TYPES,
    primaryType: 'Voucher' as const,
    message: { receiptDigest: digest },
  };
}

/** The EIP-712 digest a voucher signs (what `FeeEscrow.voucherDigest` returns). */
export function voucherDigest(digest: Hex, domain: VoucherDomain): Hex {
  return hashTypedData(voucherTypedData(digest, domain));
}

/** Signs the voucher of a receipt, given by its EIP-712 digest. */
export function signVoucher(account: LocalAccount, digest: Hex, domain: VoucherDomain): Promise<Hex> {
  return account.signTypedData(voucherTypedData(digest, domain));
}

/** One `FeeEscrow.Leaf` argument: a claim leaf and the voucher of its receipt. */
export interface SettlementLeaf {
  readonly receiptDigest: Hex;
  readonly nodeSignature: Hex;
  readonly voucher: Hex;
}

/** A voucher that no signer could have made: the leaf of a receipt no request stands behind. */
export const NO_VOUCHER: Hex = '0x';

/**
 * The `leaves` argument of `FeeEscrow.settle` for a claim of `receipts` (in claim order),
 * `vouchers` giving each receipt's voucher by receipt digest (absent: none).
 */
export function settlementLeaves(
  receipts: readonly SignedReceipt[],
  receiptDomain: ReceiptDomain,
  vouchers: ReadonlyMap<Hex, Hex>,
): SettlementLeaf[] {
  return receipts.map((r) => {
    const digest = receiptDigest(r, receiptDomain);
    if (fromHex(r.signature).length !== 65) throw new Error(`receipt ${digest}: signature must be 65 bytes`);
    return { receiptDigest: digest, nodeSignature: r.signature, voucher: vouchers.get(digest) ?? NO_VOUCHER };
  });
}
