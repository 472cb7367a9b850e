import type { ChallengeState, ChallengeStatus } from '@stoa/client';
import type { ChallengeAuthorization } from '@stoa/contracts';
import type { StoaDb } from '@stoa/sdk';
import type { Address, Hex } from 'viem';

/** The states in which a challenge still needs a player. */
const UNFINISHED: ChallengeState[] = ['waiting_for_claim', 'open'];

/** One accepted client challenge as the database holds it (ClientChallenge). */
export interface ChallengeRecord {
  readonly receiptId: string;
  readonly deploymentId: string;
  readonly modelId: string;
  readonly replicaUrl: string;
  /** The receipt as the gateway returned it: `{receipt, inputsToken?}` as JSON. */
  readonly receipt: string;
  readonly client: Address;
  readonly payee: Address;
  readonly authorization: ChallengeAuthorization;
  readonly signature: Hex;
  readonly bond: string;
  readonly state: ChallengeState;
  readonly gatewayVerdict?: string;
  readonly disputeId?: string;
  readonly outcome?: 'challenger_won' | 'node_won';
  readonly error?: string;
}

type Row = Awaited<ReturnType<StoaDb['clientChallenge']['findFirstOrThrow']>>;
type Progress = Partial<
  Pick<ChallengeRecord, 'state' | 'gatewayVerdict' | 'disputeId' | 'outcome' | 'error'>
>;

const authorizationJson = (a: ChallengeAuthorization) =>
  JSON.stringify({ ...a, maxBond: String(a.maxBond), deadline: String(a.deadline), nonce: String(a.nonce) });

function recordOf(row: Row): ChallengeRecord {
  const a = JSON.parse(row.authorization) as Record<string, string>;
  const optional = (key: 'gatewayVerdict' | 'disputeId' | 'outcome' | 'error') =>
    row[key] === null ? {} : { [key]: row[key] };
  return {
    receiptId: row.receiptId,
    deploymentId: row.deploymentId,
    modelId: row.modelId,
    replicaUrl: row.replicaUrl,
    receipt: row.receipt,
    client: row.client as Address,
    payee: row.payee as Address,
    authorization: {
      receiptDigest: a.receiptDigest as Hex,
      agent: a.agent as Address,
      maxBond: BigInt(a.maxBond!),
      deadline: BigInt(a.deadline!),
      nonce: BigInt(a.nonce!),
    },
    signature: row.signature as Hex,
    bond: row.bond,
    state: row.state as ChallengeState,
    ...optional('gatewayVerdict'),
    ...optional('disputeId'),
    ...optional('outcome'),
    ...optional('error'),
  };
}

/** What a client sees of a record (GET /v1/receipts/{id}/challenge). */
export function statusOf(record: ChallengeRecord): ChallengeStatus {
  const { receiptId, client, state, bond, gatewayVerdict, disputeId, outcome, error } = record;
  return {
    id: receiptId,
    client,
    state,
    bond,
    ...(gatewayVerdict === undefined ? {} : { gatewayVerdict }),
    ...(disputeId === undefined ? {} : { disputeId }),
    ...(outcome === undefined ? {} : { outcome }),
    ...(error === undefined ? {} : { error }),
  };
}

/**
 * Accepted client challenges in the gateway's database, and the lease that lets exactly one of
 * several gateway instances play each unfinished game: a row's `leaseOwner` plays it until
 * `leaseUntil`, renewing as it goes; past that any instance may claim it. A claim is one
 * conditional UPDATE, so two instances claiming at once cannot both succeed (SQLite serializes
 * writers; PostgreSQL re-checks the WHERE of a row another transaction just updated).
 */
export class ChallengeRecords {
  constructor(
    private readonly db: StoaDb,
    /** This gateway instance. */
    readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  async get(receiptId: string): Promise<ChallengeRecord | undefined> {
    const row = await this.db.clientChallenge.findUnique({ where: { receiptId } });
    return row ? recordOf(row) : undefined;
  }

  /**
   * Stores a newly accepted challenge, leased to this instance; false when the receipt already
   * has a challenge that has not failed (a failed one is replaced).
   */
  async accept(record: ChallengeRecord): Promise<boolean> {
    const data = {
      ...record,
      authorization: authorizationJson(record.authorization),
      leaseOwner: this.owner,
      leaseUntil: this.until(),
    };
    const replaced = await this.db.clientChallenge.updateMany({
      where: { receiptId: record.receiptId, state: 'failed' },
      data: { ...data, gatewayVerdict: null, disputeId: null, outcome: null, error: null },
    });
    if (replaced.count === 1) return true;
    try {
      await this.db.clientChallenge.create({ data });
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') return false; // unique: already challenged
      throw error;
    }
  }

  /** Claims (or renews) the lease on an unfinished challenge; whether this instance holds it now. */
  async claim(receiptId: string): Promise<boolean> {
    const now = new Date();
    const { count } = await this.db.clientChallenge.updateMany({
      where: {
        receiptId,
        state: { in: UNFINISHED },
        OR: [{ leaseOwner: this.owner }, { leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      data: { leaseOwner: this.owner, leaseUntil: this.until(now) },
    });
    return count === 1;
  }

  /** Unfinished challenges no live instance holds (never leased, lease run out, or this one's). */
  async claimable(): Promise<string[]> {
    const rows = await this.db.clientChallenge.findMany({
      where: {
        state: { in: UNFINISHED },
        OR: [{ leaseOwner: this.owner }, { leaseUntil: null }, { leaseUntil: { lt: new Date() } }],
      },
      select: { receiptId: true },
    });
    return rows.map((r) => r.receiptId);
  }

  /** Records progress; only while this instance holds the lease (another may have taken over). */
  async progress(receiptId: string, progress: Progress): Promise<boolean> {
    const { count } = await this.db.clientChallenge.updateMany({
      where: { receiptId, leaseOwner: this.owner },
      data: progress,
    });
    return count === 1;
  }

  /** Records a resolved game from whichever instance saw it first. */
  async resolved(receiptId: string, outcome: 'challenger_won' | 'node_won'): Promise<void> {
    await this.db.clientChallenge.updateMany({
      where: { receiptId, state: 'open' },
      data: { state: 'resolved', outcome, leaseOwner: null, leaseUntil: null },
    });
  }

  /** Gives the lease up at once, so that another instance (or this one, later) takes the game up. */
  async release(receiptId: string): Promise<void> {
    await this.db.clientChallenge.updateMany({
      where: { receiptId, leaseOwner: this.owner },
      data: { leaseOwner: null, leaseUntil: null },
    });
  }

  private until(now = new Date()): Date {
    return new Date(now.getTime() + this.leaseMs);
  }
}
