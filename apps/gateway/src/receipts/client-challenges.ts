import {
  challengeAuthorizer,
  challengeBondsArtifact,
  disputeGameArtifact,
  emitted,
  openAuthorizedArgs,
  ReceiptBatch,
  receiptDigest,
} from '@stoa/contracts';
import { checkReceipt, DisputePlayer } from '@stoa/dispute';
import type { IntTensor } from '@stoa/ir';
import type { Address } from 'viem';
import { Errors, GatewayError } from '../errors.js';
import type { GatewayOptions } from '../options.js';
import type { DeployedModel } from '../routing/catalog.js';
import type { WireReceipt } from '../routing/forward.js';
import { fetchInputs } from '../spot-check.js';
import type { ClientChallengeRequest } from './client-challenge-request.js';
import { claimHolding, modelOf, playOut, toReceipt } from './dispute.js';

type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** What a client needs to sign a challenge authorization for this gateway. */
export interface ChallengeTerms {
  readonly agent: Address;
  readonly bonds: Address;
  readonly chainId: number;
  readonly claimRegistry: Address;
  /** Wei; the dispute game's fixed challenge bond. */
  readonly challengeBond: string;
}

export type ChallengeState = 'waiting_for_claim' | 'open' | 'resolved' | 'failed';

export interface ChallengeStatus {
  readonly id: string;
  readonly client: Address;
  readonly state: ChallengeState;
  readonly bond: string;
  /** The gateway's own re-execution of the receipt, before opening. */
  readonly gatewayVerdict?: string;
  readonly disputeId?: string;
  /** The game's phase number (DisputeGame.Phase) while open. */
  readonly phase?: number;
  readonly outcome?: 'challenger_won' | 'node_won';
  readonly error?: string;
}

interface Entry {
  status: ChallengeStatus;
  opened: Promise<void>;
}

/** The game phase number of a resolved dispute (DisputeGame.Phase.Resolved). */
const RESOLVED = 11;
/** Failed moves in a row before the agent gives a game up (each retried after 1 s). */

/**
 * Challenges paid from a client's deposit in ChallengeBonds and played by this gateway's agent
 * key on the client's behalf: the request is checked against the receipt and the chain (each
 * bad field named), then the gateway re-executes the receipt (it needs the true execution to
 * play), waits for the node's claim holding it, opens the dispute with the client's signature
 * and plays it to its end. Status lives here while the claim is awaited and on chain after.
 */
export class ClientChallenges {
  private readonly entries = new Map<string, Entry>();
  private terms?: Promise<ChallengeTerms>;

  constructor(
    private readonly options: GatewayOptions,
    private readonly log: Log,
  ) {}

  /** The agent, the bonds contract and the bond; 503 when this gateway has no agent key. */
  challengeTerms(): Promise<ChallengeTerms> {
    const agent = this.options.challenger;
    if (!agent) throw Errors.unavailable('this gateway has no challenger key: it plays no client challenges');
    this.terms ??= (async () => {
      const { client, addresses } = this.options.chain;
      const game = disputeGameArtifact.abi;
      const [bonds, bond] = await Promise.all([
        client.read(addresses.disputeGame, game, 'bonds') as Promise<Address>,
        client.read(addresses.disputeGame, game, 'challengeBond') as Promise<bigint>,
      ]);
      return {
        agent: agent.address,
        bonds,
        chainId: addresses.chainId,
        claimRegistry: addresses.claimRegistry,
        challengeBond: bond.toString(),
      };
    })();
    this.terms.catch(() => (this.terms = undefined));
    return this.terms;
  }

  /**
   * Accepts a client's challenge of receipt `id` and opens it (waiting up to `waitMs` for the
   * node's claim; after that the status says `waiting_for_claim` and opening goes on).
   */
  async start(
    id: string,
    deployed: DeployedModel,
    found: { replicaUrl: string; receipt: string },
    request: ClientChallengeRequest,
    waitMs = this.options.challengeOpenWaitMs ?? 30_000,
  ): Promise<ChallengeStatus> {
    const known = this.entries.get(id);
    if (known && known.status.state !== 'failed')
      throw new GatewayError(
        409,
        'invalid_request_error',
        'challenge_exists',
        `receipt '${id}' is already challenged`,
      );
    const stored = JSON.parse(found.receipt) as { receipt: WireReceipt; inputsToken?: string };
    const terms = await this.challengeTerms();
    await this.checkRequest(terms, toReceipt(stored.receipt), request);
    const entry: Entry = {
      status: { id, client: request.client, state: 'waiting_for_claim', bond: terms.challengeBond },
      opened: Promise.resolve(),
    };
    this.entries.set(id, entry);
    entry.opened = this.open(entry, terms, deployed, found.replicaUrl, stored, request).catch((error) => {
      entry.status = { ...entry.status, state: 'failed', error: (error as Error).message };
      this.log('warn', 'client challenge failed', { id, error: (error as Error).message });
    });
    await Promise.race([entry.opened, new Promise((r) => setTimeout(r, waitMs).unref())]);
    return this.status(id);
  }

  /** The challenge of receipt `id` as it stands: from here, then the game on chain. */
  async status(id: string): Promise<ChallengeStatus> {
    const entry = this.entries.get(id);
    if (!entry)
      throw new GatewayError(
        404,
        'invalid_request_error',
        'challenge_not_found',
        `no challenge of receipt '${id}' here`,
      );
    const { disputeId } = entry.status;
    if (!disputeId || entry.status.state === 'resolved') return entry.status;
    const { client, addresses } = this.options.chain;
    const game = (await client.read(addresses.disputeGame, disputeGameArtifact.abi, 'get', [
      BigInt(disputeId),
    ])) as {
      phase: number;
      challengerWon: boolean;
    };
    if (game.phase !== RESOLVED) return { ...entry.status, phase: game.phase };
    entry.status = {
      ...entry.status,
      state: 'resolved',
      phase: game.phase,
      outcome: game.challengerWon ? 'challenger_won' : 'node_won',
    };
    return entry.status;
  }

  /** Resolves once every accepted challenge has opened or failed (games keep playing). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.opened));
  }

  /** What the contract would refuse, refused here first with the field named. */
  private async checkRequest(
    terms: ChallengeTerms,
    receipt: ReturnType<typeof toReceipt>,
    r: ClientChallengeRequest,
  ) {
    const { authorization: a } = r;
    const digest = receiptDigest(receipt, { chainId: terms.chainId, verifyingContract: terms.claimRegistry });
    if (a.receiptDigest.toLowerCase() !== digest.toLowerCase())
      throw Errors.badRequest(`authorization.receiptDigest: not this receipt's digest ${digest}`);
    if (a.agent.toLowerCase() !== terms.agent.toLowerCase())
      throw Errors.badRequest(`authorization.agent: this gateway's agent is ${terms.agent}`);
    if (a.deadline <= BigInt(Math.floor(Date.now() / 1000)))
      throw Errors.badRequest(`authorization.deadline: ${a.deadline} has passed`);
    if (a.maxBond < BigInt(terms.challengeBond))
      throw Errors.badRequest(
        `authorization.maxBond: below the challenge bond of ${terms.challengeBond} wei`,
      );
    const signer = await challengeAuthorizer(a, r.signature, {
      chainId: terms.chainId,
      verifyingContract: terms.bonds,
    }).catch(() => undefined);
    if (signer?.toLowerCase() !== r.client.toLowerCase())
      throw Errors.badRequest('signature: not the client’s signature of this authorization');
    const { client } = this.options.chain;
    const bondsAbi = challengeBondsArtifact.abi;
    const [used, deposit] = await Promise.all([
      client.read(terms.bonds, bondsAbi, 'nonceUsed', [r.client, a.nonce]) as Promise<boolean>,
      client.read(terms.bonds, bondsAbi, 'deposits', [r.client]) as Promise<bigint>,
    ]);
    if (used) throw Errors.badRequest(`authorization.nonce: ${a.nonce} was already used or cancelled`);
    if (deposit < BigInt(terms.challengeBond))
      throw new GatewayError(
        402,
        'invalid_request_error',
        'insufficient_deposit',
        `client: its deposit of ${deposit} wei is below the challenge bond of ${terms.challengeBond} wei`,
      );
  }

  private async open(
    entry: Entry,
    terms: ChallengeTerms,
    deployed: DeployedModel,
    replicaUrl: string,
    stored: { receipt: WireReceipt; inputsToken?: string },
    request: ClientChallengeRequest,
  ): Promise<void> {
    const { client, addresses } = this.options.chain;
    const receipt = toReceipt(stored.receipt);
    const domain = { chainId: terms.chainId, verifyingContract: terms.claimRegistry };
    const wire = await fetchInputs(replicaUrl, stored.receipt, stored.inputsToken);
    if (!wire) throw new Error('the node no longer serves this receipt’s inputs: the game cannot be played');
    const inputs = wire.map((t) => ({ ...t, data: Int32Array.from(t.data) })) as IntTensor[];
    const verdict = await checkReceipt(await modelOf(deployed), receipt, inputs, domain);
    if (!verdict.view) throw new Error(`cannot judge the receipt: ${verdict.ok ? '' : verdict.reason}`);
    entry.status = {
      ...entry.status,
      gatewayVerdict: verdict.ok ? 'the receipt is right: the node should win' : `wrong: ${verdict.reason}`,
    };
    const { claimId, receipts, index } = await claimHolding(this.options, replicaUrl, receipt);
    const proof = new ReceiptBatch(receipts, domain).proof(index);
    const agent = this.options.challenger!;
    const sent = await client.send(
      agent,
      terms.bonds,
      challengeBondsArtifact.abi,
      'openAuthorized',
      openAuthorizedArgs(request.client, request.authorization, request.signature, {
        claimId,
        receipt: receipts[index]!,
        index,
        proof,
      }) as unknown as unknown[],
    );
    const disputeId = emitted(sent, terms.bonds, 'ChallengeOpened').disputeId as bigint;
    entry.status = { ...entry.status, state: 'open', disputeId: disputeId.toString() };
    this.log('info', 'client challenge opened', { id: entry.status.id, disputeId: String(disputeId) });
    const player = new DisputePlayer({
      client,
      account: agent,
      game: addresses.disputeGame,
      disputeId,
      role: 'challenger',
      view: verdict.view,
    });
    void playOut(player, this.log, 'client challenge');
  }
}
