import type { ReceiptDomain, SignedReceipt } from '@stoa/ir';
import type { Address, Hex, PrivateKeyAccount } from 'viem';
import { feeEscrowArtifact } from '../artifacts.generated.js';
import { type ChainClient, emitted } from '../game/client.js';
import { settlementLeaves } from './voucher.js';

/**
 * The gas limit of a settle: a bound, not an estimate (an estimate on anvil re-executes the
 * settle a dozen times, 1.7 s for 500 receipts). A vouched receipt costs ≈ 35.7k gas (measured:
 * 22.9M gas for 640, BENCHMARKS.md), so 45k a leaf leaves a quarter to spare.
 */
const SETTLE_GAS_BASE = 300_000n;
const SETTLE_GAS_PER_LEAF = 45_000n;

/**
 * The most receipts one `settle` takes: at 45k gas a leaf (above), 640 leaves are a 29.1M gas
 * limit, under a 30M-gas block. A bigger claim cannot be paid in one transaction: nodes must
 * post claims of at most this many receipts (the node's STOA_BATCH_SIZE).
 */
export const MAX_SETTLE_RECEIPTS = 640;

/** A claim with more receipts than one `settle` transaction can pay. */
export class SettlementTooLargeError extends Error {
  constructor(
    readonly claimId: bigint,
    readonly receipts: number,
  ) {
    super(
      `claim ${claimId} has ${receipts} receipts: one settle pays at most ${MAX_SETTLE_RECEIPTS} ` +
        `(at 45k gas a receipt, a settle must fit a 30M-gas block); its fees cannot be collected. ` +
        `Post claims of at most ${MAX_SETTLE_RECEIPTS} receipts (the node's STOA_BATCH_SIZE).`,
    );
    this.name = 'SettlementTooLargeError';
  }
}

/** Who settles, and on which escrow account. */
export interface Settler {
  readonly client: ChainClient;
  /** Pays the gas; the fee goes to the claim's node whoever settles. */
  readonly account: PrivateKeyAccount;
  readonly escrow: Address;
  readonly escrowDeploymentId: bigint;
  /** The receipts' EIP-712 domain (the ClaimRegistry). */
  readonly receiptDomain: ReceiptDomain;
}

export interface Settlement {
  readonly claimId: bigint;
  readonly claimed: number;
  readonly paid: number;
  readonly amountWei: bigint;
  readonly gasUsed: bigint;
}

/**
 * Settles one finalized claim in one transaction: `receipts` are the claim's, in claim order;
 * `vouchers` the voucher signer's voucher of each receipt it stands behind, by receipt digest.
 * Refuses, before sending, a claim one transaction cannot pay (SettlementTooLargeError).
 */
export async function settleClaim(
  settler: Settler,
  claimId: bigint,
  receipts: readonly SignedReceipt[],
  vouchers: ReadonlyMap<Hex, Hex>,
): Promise<Settlement> {
  if (receipts.length > MAX_SETTLE_RECEIPTS) throw new SettlementTooLargeError(claimId, receipts.length);
  const { client, account, escrow } = settler;
  const leaves = settlementLeaves(receipts, settler.receiptDomain, vouchers);
  const args = [settler.escrowDeploymentId, claimId, leaves];
  const gas = SETTLE_GAS_BASE + SETTLE_GAS_PER_LEAF * BigInt(leaves.length);
  const sent = await client.send(account, escrow, feeEscrowArtifact.abi, 'settle', args, undefined, gas);
  const settled = emitted(sent, escrow, 'Settled');
  return {
    claimId,
    claimed: Number(settled.claimed),
    paid: Number(settled.paid),
    amountWei: settled.amount as bigint,
    gasUsed: sent.receipt.gasUsed,
  };
}
