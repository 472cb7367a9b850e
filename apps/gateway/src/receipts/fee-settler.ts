import { receiptDigest, type Settlement, type Settler, settleClaim } from '@stoa/contracts';
import type { ReceiptDomain, SignedReceipt } from '@stoa/ir';
import { type ClaimFees, type FeeChain, readFeeLedger, type StoaDb } from '@stoa/sdk';
import type { Hex } from 'viem';

type WireReceipt = Omit<SignedReceipt, 'nonce'> & { nonce: string };

/** What the gateway, as its deployment's settler, needs: its rows, the chain and the escrow. */
export interface FeeSettlerOptions {
  readonly db: StoaDb;
  /** The gateway's deployment row, whose receipt rows hold the vouchers. */
  readonly deploymentId: string;
  readonly chain: FeeChain;
  /** Sends the `settle` transactions (the escrow account in `chain.escrow`). */
  readonly settler: Settler;
}

/** One claim the pass could not settle, and why (the next pass tries again). */
export interface SettleFailure {
  readonly claimId: bigint;
  readonly reason: string;
}

/**
 * The vouchers the gateway signed for a deployment and where each node answered, from its
 * receipt rows: the voucher of each receipt by digest, and the last replica URL of each node.
 */
export async function gatewayVouchers(db: StoaDb, deploymentId: string, receiptDomain: ReceiptDomain) {
  const rows = await db.gatewayReceipt.findMany({
    where: { deploymentId, receipt: { contains: '"voucher":"0x' } },
    orderBy: { createdAt: 'asc' },
  });
  const vouchers = new Map<Hex, Hex>();
  const replicas = new Map<string, string>();
  for (const row of rows) {
    const { receipt, voucher } = JSON.parse(row.receipt) as { receipt: WireReceipt; voucher: Hex };
    vouchers.set(receiptDigest({ ...receipt, nonce: BigInt(receipt.nonce) }, receiptDomain), voucher);
    replicas.set(row.node.toLowerCase(), row.replicaUrl);
  }
  return { vouchers, replicas };
}

/** A claim's receipts, in claim order, as its node serves them (`GET /v1/claims/:id/receipts`). */
async function claimReceipts(replicaUrl: string, claimId: bigint): Promise<SignedReceipt[]> {
  const response = await fetch(`${replicaUrl}/v1/claims/${claimId}/receipts`);
  if (!response.ok)
    throw new Error(`${replicaUrl} answered HTTP ${response.status} for claim ${claimId}'s receipts`);
  const { receipts } = (await response.json()) as { receipts: WireReceipt[] };
  return receipts.map((r) => ({ ...r, nonce: BigInt(r.nonce) }));
}

/**
 * The gateway as its deployment's settler: every finalized claim of the escrow's model not yet
 * settled on its account, by a node the gateway forwarded to, is settled in one transaction with
 * the node's receipts and the gateway's own vouchers (so the vouchers never leave it). The fee
 * goes to the claim's node whoever settles. Claims of nodes it never forwarded to are left to
 * their node; a claim that fails (a node that does not serve its receipts, one too large for a
 * block) is reported and tried again on the next pass.
 */
export async function settleFinalizedClaims(
  options: FeeSettlerOptions,
): Promise<{ settled: Settlement[]; failed: SettleFailure[] }> {
  const [ledger, { vouchers, replicas }] = await Promise.all([
    readFeeLedger(options.chain),
    gatewayVouchers(options.db, options.deploymentId, options.settler.receiptDomain),
  ]);
  const due = ledger.claims.filter(
    (c) => c.state === 'finalized' && !c.settled && replicas.has(c.node.toLowerCase()),
  );
  const settled: Settlement[] = [];
  const failed: SettleFailure[] = [];
  const settle = async (claim: ClaimFees) => {
    try {
      const receipts = await claimReceipts(replicas.get(claim.node.toLowerCase())!, claim.claimId);
      settled.push(await settleClaim(options.settler, claim.claimId, receipts, vouchers));
    } catch (error) {
      failed.push({ claimId: claim.claimId, reason: (error as Error).message.split('\n')[0]! });
    }
  };
  await Promise.all(due.map(settle));
  return { settled, failed };
}
