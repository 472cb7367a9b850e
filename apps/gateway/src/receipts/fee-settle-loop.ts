import type { ChainClient, Settlement } from '@stoa/contracts';
import { receiptDomainOf } from '@stoa/contracts';
import { feeEscrowOf, type StoaDb } from '@stoa/sdk';
import type { Address } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { type SettleFailure, settleFinalizedClaims } from './fee-settler.js';

export interface FeeSettlingOptions {
  readonly db: StoaDb;
  readonly client: ChainClient;
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly claimRegistry: Address;
  /** The FeeEscrow this gateway vouches for: deployments recorded on another one are left alone. */
  readonly escrow: Address;
  /** Pays the settle transactions' gas (the fee itself goes to each claim's node). */
  readonly account: PrivateKeyAccount;
  readonly everyMs: number;
  readonly log: (level: string, msg: string, fields?: Record<string, unknown>) => void;
}

/** What one pass settled, and the claims it could not (tried again on the next pass). */
export interface FeeSettlingPass {
  readonly settled: Settlement[];
  readonly failed: SettleFailure[];
}

/**
 * The gateway as settler, on a timer: each pass settles, for every live deployment whose escrow
 * account is on this gateway's escrow, the finalized claims not yet settled (`settleFinalizedClaims`).
 * A pass never overlaps the previous one; a failed claim is logged and tried on the next pass.
 */
export function startFeeSettling(options: FeeSettlingOptions): {
  /** Runs a pass now (or joins the one running). */
  pass(): Promise<FeeSettlingPass>;
  stop(): Promise<void>;
} {
  let running: Promise<FeeSettlingPass> | undefined;
  let stopped = false;
  const pass = async (): Promise<FeeSettlingPass> => {
    const deployments = await options.db.deployment.findMany({
      where: { state: 'live' },
      select: { id: true },
    });
    const all: FeeSettlingPass = { settled: [], failed: [] };
    for (const { id } of deployments) {
      const escrow = await feeEscrowOf(options.db, id);
      if (!escrow || escrow.address.toLowerCase() !== options.escrow.toLowerCase()) continue;
      const { settled, failed } = await settleFinalizedClaims({
        db: options.db,
        deploymentId: id,
        chain: { rpcUrl: options.rpcUrl, claimRegistry: options.claimRegistry, escrow },
        settler: {
          client: options.client,
          account: options.account,
          escrow: escrow.address,
          escrowDeploymentId: escrow.deploymentId,
          receiptDomain: receiptDomainOf(options),
        },
      });
      all.settled.push(...settled);
      all.failed.push(...failed);
      if (settled.length > 0)
        options.log('info', 'fees settled', {
          deploymentId: id,
          claims: settled.length,
          paidReceipts: settled.reduce((n, s) => n + s.paid, 0),
          amountWei: settled.reduce((n, s) => n + s.amountWei, 0n).toString(),
        });
      for (const f of failed)
        options.log('warn', 'fee settlement failed; retried next pass', {
          deploymentId: id,
          claimId: f.claimId.toString(),
          reason: f.reason,
        });
    }
    return all;
  };
  const guarded = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    if (stopped) return;
    guarded().catch((error: Error) =>
      options.log('warn', 'fee settlement pass failed', { reason: error.message.split('\n')[0] }),
    );
  }, options.everyMs);
  timer.unref();
  return {
    pass: guarded,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
