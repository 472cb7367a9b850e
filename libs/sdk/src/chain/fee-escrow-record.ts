import type { StoaDb } from '../db/client.js';
import { recordEvent } from '../deploy/project.js';
import type { FeeEscrowRef } from './fee-ledger.js';

/** The deployment event that records a deployment's escrow account (no schema change needed). */
const STEP = 'fees';
const OUTCOME = 'escrow';

/** Records that `deploymentId`'s fees are paid from this FeeEscrow account. */
export async function recordFeeEscrow(db: StoaDb, deploymentId: string, escrow: FeeEscrowRef): Promise<void> {
  const detail = JSON.stringify({ address: escrow.address, deploymentId: escrow.deploymentId.toString() });
  await recordEvent(db, deploymentId, STEP, OUTCOME, detail);
}

/** The FeeEscrow account recorded for `deploymentId` (the latest), if any. */
export async function feeEscrowOf(db: StoaDb, deploymentId: string): Promise<FeeEscrowRef | undefined> {
  const row = await db.deploymentEvent.findFirst({
    where: { deploymentId, step: STEP, outcome: OUTCOME },
    orderBy: { at: 'desc' },
  });
  if (!row) return undefined;
  const { address, deploymentId: id } = JSON.parse(row.detail) as {
    address: `0x${string}`;
    deploymentId: string;
  };
  return { address, deploymentId: BigInt(id) };
}
