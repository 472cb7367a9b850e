import { receiptDigest, signVoucher, type VoucherDomain } from '@stoa/contracts';
import type { ReceiptDomain } from '@stoa/ir';
import type { Hex, LocalAccount } from 'viem';
import type { WireReceipt } from '../routing/forward.js';

/** The gateway's voucher key and the fee escrow its vouchers are for (GatewayOptions.voucher). */
export interface VoucherOptions {
  /** Resolved from a secret reference (STOA_GATEWAY_VOUCHER_KEY); never logged. */
  readonly account: LocalAccount;
  readonly escrow: VoucherDomain;
}

/**
 * Vouches, on the client's behalf, for the receipt that answered a request the gateway
 * forwarded: FeeEscrow pays a node only for receipts the deployment's voucher signer signed, so
 * a node cannot invent work to collect fees. Called once per answered request, after the
 * receipt passed the gateway's checks.
 */
export function voucherSigner(options: VoucherOptions, receiptDomain: ReceiptDomain) {
  return (receipt: WireReceipt): Promise<Hex> =>
    signVoucher(
      options.account,
      receiptDigest({ ...receipt, nonce: BigInt(receipt.nonce) }, receiptDomain),
      options.escrow,
    );
}
