import type { StoaDb } from '../db/client.js';
import { feeEscrowOf } from './fee-escrow-record.js';
import { type ClaimFees, type FeeChain, type FeeLedger, readFeeLedger } from './fee-ledger.js';

/** Receipts of one node (or of all, `node: '*'`) from metering to payment. */
export interface NodeFees {
  readonly node: string;
  /** Answered requests the gateway metered (its receipt rows) for this deployment. */
  readonly metered: number;
  /** Of those, the ones the gateway vouched for (signed for the escrow). */
  readonly vouched: number;
  /** Receipts in claims posted on chain for the deployment's model. */
  readonly claimed: number;
  readonly pending: number;
  readonly finalized: number;
  readonly rejected: number;
  /** Receipts in finalized claims settled on the escrow. */
  readonly settled: number;
  /** Receipts the escrow paid, and the wei (decimal). */
  readonly paid: number;
  readonly paidWei: string;
  /** Settled but unpaid: no gateway voucher, or paid once already. */
  readonly unvouched: number;
  /** Settled but unpaid: past the budget cap or the escrow's funds. */
  readonly capped: number;
  /** Why the columns differ, one reason a line; empty when metered = claimed = finalized = paid. */
  readonly explanation: string[];
}

export interface FeeReport {
  readonly deploymentId: string;
  readonly escrow: {
    readonly address: string;
    readonly deploymentId: string;
    readonly modelId: string;
    readonly pricePerReceiptWei: string;
    readonly capWei: string;
    readonly paidWei: string;
    readonly availableWei: string;
    readonly reservedWei: string;
  };
  readonly total: NodeFees;
  readonly nodes: NodeFees[];
}

type Counts = { -readonly [K in keyof Omit<NodeFees, 'node' | 'explanation' | 'paidWei'>]: NodeFees[K] } & {
  paidWei: bigint;
};

const ZERO: Counts = {
  metered: 0,
  vouched: 0,
  claimed: 0,
  pending: 0,
  finalized: 0,
  rejected: 0,
  settled: 0,
  paid: 0,
  paidWei: 0n,
  unvouched: 0,
  capped: 0,
};

/**
 * The fee reconciliation of one deployment, per node and in total: what the gateway metered
 * (and vouched for), what nodes claimed on chain, what finalized, and what the FeeEscrow paid,
 * with the reasons wherever the columns differ. The one report behind `stoa usage` and the
 * console's Usage page.
 */
export async function feeReconciliation(
  db: StoaDb,
  deploymentId: string,
  chain: FeeChain,
): Promise<FeeReport> {
  const [ledger, metered] = await Promise.all([readFeeLedger(chain), meteredByNode(db, deploymentId)]);
  const counts = new Map<string, Counts>();
  const of = (node: string) => {
    const key = node.toLowerCase();
    const c = counts.get(key) ?? { ...ZERO };
    counts.set(key, c);
    return c;
  };
  for (const [node, m] of metered) Object.assign(of(node), m);
  for (const claim of ledger.claims) addClaim(of(claim.node), claim);
  const nodes = [...counts].map(([node, c]) => withExplanation(node, c));
  const total = [...counts.values()].reduce(sum, { ...ZERO });
  return { deploymentId, escrow: escrowOf(chain, ledger), total: withExplanation('*', total), nodes };
}

async function meteredByNode(db: StoaDb, deploymentId: string) {
  const [all, vouched] = await Promise.all([
    db.gatewayReceipt.groupBy({ by: ['node'], where: { deploymentId }, _count: { _all: true } }),
    db.gatewayReceipt.groupBy({
      by: ['node'],
      where: { deploymentId, receipt: { contains: '"voucher":"0x' } },
      _count: { _all: true },
    }),
  ]);
  const vouchedOf = new Map(vouched.map((v) => [v.node, v._count._all]));
  return new Map(
    all
      .filter((r) => r.node !== '')
      .map((r) => [r.node, { metered: r._count._all, vouched: vouchedOf.get(r.node) ?? 0 }]),
  );
}

function addClaim(c: Counts, claim: ClaimFees): void {
  c.claimed += claim.receipts;
  c[claim.state] += claim.receipts;
  if (!claim.settled) return;
  const room = claim.reserved ?? claim.receipts;
  c.settled += claim.receipts;
  c.paid += claim.settled.paid;
  c.paidWei += claim.settled.amountWei;
  c.capped += claim.receipts - room;
  c.unvouched += room - claim.settled.paid;
}

function sum(a: Counts, b: Counts): Counts {
  const out = { ...a };
  for (const k of Object.keys(ZERO) as (keyof Counts)[])
    (out[k] as number | bigint) = (a[k] as never) + (b[k] as never);
  return out;
}

/** The reasons the columns differ, each with its count. */
function explain(c: Counts): string[] {
  const lines: string[] = [];
  if (c.claimed > c.metered)
    lines.push(
      `${c.claimed - c.metered} claimed but never metered: no request through the gateway stands behind them`,
    );
  if (c.metered > c.claimed) lines.push(`${c.metered - c.claimed} metered, not in a posted claim yet`);
  if (c.pending > 0) lines.push(`${c.pending} in claims still in their challenge window`);
  if (c.rejected > 0)
    lines.push(
      `${c.rejected} in rejected claims (lost a dispute or a proven fault): never paid, any reservation refundable to the owner`,
    );
  if (c.finalized > c.settled) lines.push(`${c.finalized - c.settled} finalized, not settled yet`);
  if (c.unvouched > 0)
    lines.push(`${c.unvouched} settled with no gateway voucher (or paid before): paid nothing`);
  if (c.capped > 0) lines.push(`${c.capped} past the budget cap or the escrow's funds: paid nothing`);
  if (lines.length > 0) lines.unshift(`claimed ${c.claimed}, paid ${c.paid}`);
  return lines;
}

function withExplanation(node: string, c: Counts): NodeFees {
  return { node, ...c, paidWei: c.paidWei.toString(), explanation: explain(c) };
}

function escrowOf(chain: FeeChain, ledger: FeeLedger): FeeReport['escrow'] {
  return {
    address: chain.escrow.address,
    deploymentId: chain.escrow.deploymentId.toString(),
    modelId: ledger.modelId,
    pricePerReceiptWei: ledger.pricePerReceiptWei.toString(),
    capWei: ledger.capWei.toString(),
    paidWei: ledger.paidWei.toString(),
    availableWei: ledger.availableWei.toString(),
    reservedWei: ledger.reservedWei.toString(),
  };
}

/** A fee report, or why a deployment with an escrow has none (its chain did not answer). */
export type DeploymentFees = FeeReport | { readonly deploymentId: string; readonly error: string };

/**
 * The fee report of every deployment of a project that has a FeeEscrow account recorded, newest
 * first. A chain that does not answer leaves an error in the deployment's place, not a throw.
 */
export async function projectFeeReports(
  db: StoaDb,
  projectId: string,
  chain: Omit<FeeChain, 'escrow'>,
): Promise<DeploymentFees[]> {
  const deployments = await db.deployment.findMany({ where: { projectId }, orderBy: { createdAt: 'desc' } });
  const reports: DeploymentFees[] = [];
  for (const { id } of deployments) {
    const escrow = await feeEscrowOf(db, id);
    if (!escrow) continue;
    reports.push(
      await feeReconciliation(db, id, { ...chain, escrow }).catch((error: Error) => ({
        deploymentId: id,
        error: `fees of deployment ${id} unread: the chain at ${chain.rpcUrl} did not answer (${error.message.split('\n')[0]})`,
      })),
    );
  }
  return reports;
}
