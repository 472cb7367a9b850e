import {
  claimRegistryArtifact,
  disputeGameArtifact,
  type StoaAddresses,
  stakeManagerArtifact,
} from '@stoa/contracts';
import { createPublicClient, http, type Log } from 'viem';

/** One on-chain event of a claim or a dispute game, in chain order. */
export interface GameEvent {
  readonly name: string;
  readonly block: number;
  /** Position in the block (with `block`, the event's identity). */
  readonly logIndex: number;
  /** Block time, unix seconds. */
  readonly at: number;
  readonly txHash: string;
  /** The event's arguments, bigints as decimal strings. */
  readonly args: Record<string, unknown>;
}

/** A [lo, hi) range of trace steps (or output chunks) still in dispute after a round. */
export interface BisectionRound {
  readonly phase: 'trace' | 'output';
  readonly lo: number;
  readonly hi: number;
  readonly at: number;
  readonly txHash: string;
}

export interface DisputeHistory {
  readonly disputeId: string;
  readonly claimId: string;
  readonly challenger: string;
  readonly claimant: string;
  readonly openedAt: number;
  readonly openTx: string;
  /** The span of the whole trace (steps, rounded up to the tree width) as the first round saw it. */
  readonly traceSpan?: { lo: number; hi: number };
  readonly rounds: BisectionRound[];
  readonly resolved?: { challengerWon: boolean; reason: string; at: number; txHash: string };
  /** Stake slashed from the loser (wei, decimal), with the slash transaction. */
  readonly slashed?: { node: string; amountWei: string; rewardWei: string; txHash: string };
  readonly events: GameEvent[];
}

export interface ClaimHistory {
  readonly claimId: string;
  readonly node: string;
  readonly modelId: string;
  readonly batchRoot: string;
  readonly receipts: number;
  readonly postedAt: number;
  readonly txHash: string;
  readonly windowEndsAt: number;
  /** posted | disputed | finalized | rejected */
  readonly state: string;
  readonly disputes: DisputeHistory[];
}

export interface ChainHistory {
  readonly claims: ClaimHistory[];
  /** The protocol's bonds (wei, decimal) read from the contracts. */
  readonly bonds: { claimBondWei: string; challengeBondWei: string; clockSeconds: number };
}

const plain = (args: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(args ?? {}, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));

type Decoded = Log & { eventName: string; args: Record<string, unknown> };

/**
 * Every claim posted on the chain at `rpcUrl`, each with its disputes played as a timeline:
 * the events in order (with block time and transaction hash), the bisection interval after
 * each pick, the verdict and the stake slashed. Read from the contracts' events only.
 */
export async function disputeHistory(rpcUrl: string, at: StoaAddresses): Promise<ChainHistory> {
  const client = createPublicClient({ transport: http(rpcUrl) });
  const read = (address: `0x${string}`, abi: unknown) =>
    client.getContractEvents({ address, abi, fromBlock: 0n } as never) as unknown as Promise<Decoded[]>;
  const [claimLogs, gameLogs, stakeLogs] = await Promise.all([
    read(at.claimRegistry, claimRegistryArtifact.abi),
    read(at.disputeGame, disputeGameArtifact.abi),
    read(at.stakeManager, stakeManagerArtifact.abi),
  ]);
  const times = new Map<bigint, number>();
  for (const block of new Set([...claimLogs, ...gameLogs, ...stakeLogs].map((l) => l.blockNumber!))) {
    times.set(block, Number((await client.getBlock({ blockNumber: block })).timestamp));
  }
  const eventOf = (l: Decoded): GameEvent => ({
    name: l.eventName,
    block: Number(l.blockNumber),
    logIndex: Number(l.logIndex),
    at: times.get(l.blockNumber!) ?? 0,
    txHash: l.transactionHash ?? '',
    args: plain(l.args),
  });
  const disputes = disputesFrom(gameLogs.map(eventOf), stakeLogs.map(eventOf));
  const claims = claimsFrom(claimLogs.map(eventOf), disputes);
  const readBig = (address: `0x${string}`, abi: unknown, functionName: string) =>
    client.readContract({ address, abi, functionName } as never) as Promise<bigint>;
  const [claimBond, challengeBond, clock] = await Promise.all([
    readBig(at.claimRegistry, claimRegistryArtifact.abi, 'claimBond'),
    readBig(at.disputeGame, disputeGameArtifact.abi, 'challengeBond'),
    readBig(at.disputeGame, disputeGameArtifact.abi, 'clockSeconds'),
  ]);
  return {
    claims,
    bonds: {
      claimBondWei: claimBond.toString(),
      challengeBondWei: challengeBond.toString(),
      clockSeconds: Number(clock),
    },
  };
}

function claimsFrom(events: GameEvent[], disputes: DisputeHistory[]): ClaimHistory[] {
  const claims = new Map<string, ClaimHistory & { state: string }>();
  for (const e of events) {
    const id = String(e.args.claimId ?? '');
    if (e.name === 'ClaimPosted') {
      claims.set(id, {
        claimId: id,
        node: String(e.args.node),
        modelId: String(e.args.modelId),
        batchRoot: String(e.args.batchRoot),
        receipts: Number(e.args.receipts),
        postedAt: e.at,
        txHash: e.txHash,
        windowEndsAt: Number(e.args.windowEndsAt),
        state: 'posted',
        disputes: disputes.filter((d) => d.claimId === id),
      });
    }
    const claim = claims.get(id);
    if (!claim) continue;
    if (e.name === 'ClaimDisputed' && claim.state === 'posted') claim.state = 'disputed';
    if (e.name === 'ClaimFinalized') claim.state = 'finalized';
    if (e.name === 'ClaimRejected') claim.state = 'rejected';
  }
  return [...claims.values()].reverse();
}

function disputesFrom(events: GameEvent[], stakeEvents: GameEvent[]): DisputeHistory[] {
  const byId = new Map<string, GameEvent[]>();
  for (const e of events) {
    const id = e.args.disputeId;
    if (id === undefined) continue;
    byId.set(String(id), [...(byId.get(String(id)) ?? []), e]);
  }
  const result: DisputeHistory[] = [];
  for (const [disputeId, list] of byId) {
    const opened = list.find((e) => e.name === 'DisputeOpened');
    if (!opened) continue;
    const resolved = list.find((e) => e.name === 'DisputeResolved');
    const slash = resolved
      ? stakeEvents.find((e) => e.name === 'Slashed' && e.txHash === resolved.txHash)
      : undefined;
    const firstTrace = list.find((e) => e.name === 'ChildrenRevealed' && Number(e.args.phase) <= 3);
    result.push({
      disputeId,
      claimId: String(opened.args.claimId),
      challenger: String(opened.args.challenger),
      claimant: String(opened.args.claimant),
      openedAt: opened.at,
      openTx: opened.txHash,
      ...(firstTrace ? { traceSpan: spanOf(firstTrace) } : {}),
      rounds: list.filter((e) => e.name === 'ChildPicked').map(roundOf),
      ...(resolved
        ? {
            resolved: {
              challengerWon: Boolean(resolved.args.challengerWon),
              reason: String(resolved.args.reason),
              at: resolved.at,
              txHash: resolved.txHash,
            },
          }
        : {}),
      ...(slash
        ? {
            slashed: {
              node: String(slash.args.node),
              amountWei: String(slash.args.amount),
              rewardWei: String(slash.args.reward),
              txHash: slash.txHash,
            },
          }
        : {}),
      events: list,
    });
  }
  return result;
}

/** The leaves under a revealed row of children: [first << level, (first + n) << level). */
function spanOf(e: GameEvent): { lo: number; hi: number } {
  const level = Number(e.args.level);
  const first = Number(e.args.firstIndex);
  const width = (e.args.children as unknown[]).length;
  return { lo: first * 2 ** level, hi: (first + width) * 2 ** level };
}

/** A picked node covers leaves [index << level, (index + 1) << level). */
function roundOf(e: GameEvent): BisectionRound {
  const level = Number(e.args.level);
  const index = Number(e.args.index);
  // Phase.TracePick = 3, Phase.OutputPick = 8 (DisputeGame.Phase).
  return {
    phase: Number(e.args.phase) === 3 ? 'trace' : 'output',
    lo: index * 2 ** level,
    hi: (index + 1) * 2 ** level,
    at: e.at,
    txHash: e.txHash,
  };
}
