import { randomUUID } from 'node:crypto';
import type { ChallengeStatus, ChallengeTerms } from '@stoa/client';
import {
  type ChainClient,
  challengeAuthorizer,
  challengeBondsArtifact,
  disputeGameArtifact,
  emitted,
  openAuthorizedArgs,
  ReceiptBatch,
  receiptDigest,
  receiptDomainOf,
} from '@stoa/contracts';
import { checkReceipt, DisputePlayer } from '@stoa/dispute';
import type { IntTensor } from '@stoa/ir';
import type { Address } from 'viem';
import { Errors, GatewayError } from '../errors.js';
import type { GatewayOptions } from '../options.js';
import type { DeployedModel } from '../routing/catalog.js';
import type { WireReceipt } from '../routing/forward.js';
import { fetchInputs } from '../spot-check.js';
import { type ChallengeRecord, ChallengeRecords, statusOf } from './client-challenge-records.js';
import type { ClientChallengeRequest } from './client-challenge-request.js';
import { claimHolding, modelOf, playOut, toReceipt } from './dispute.js';

type StoredReceipt = { receipt: WireReceipt; inputsToken?: string };
type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** The game phase number of a resolved dispute (DisputeGame.Phase.Resolved). */
const RESOLVED = 11;
/** How long a gateway instance holds a game it plays without renewing (renewed every third), by default. */
const LEASE_MS = 6_000;
/** Sends of `openAuthorized` before a challenge fails (the agent's key may be busy on another instance). */
const OPEN_ATTEMPTS = 3;
/** How long `stop` waits for games to reach a point where they can stop. */
const STOP_WAIT_MS = 2_000;

/**
 * Challenges paid from a client's deposit in ChallengeBonds and played by this gateway's agent
 * key on the client's behalf: the request is checked against the receipt and the chain (each
 * bad field named), then stored in the gateway's database (ClientChallenge), and the gateway
 * re-executes the receipt (it needs the true execution to play), waits for the node's claim
 * holding it, opens the dispute with the client's signature and plays it to its end. Every
 * unfinished challenge is played by exactly one gateway instance, the holder of its lease; an
 * instance that stops or dies loses the lease and another (or the restarted one) resumes the
 * game from the chain, so the client never loses its bond on the clock to a restart.
 */
export class ClientChallenges {
  private readonly records: ChallengeRecords;
  /** Games this instance is playing now, by receipt id: resolve once opened (or failed). */
  private readonly playing = new Map<string, { opened: Promise<void>; done: Promise<void> }>();
  private terms?: Promise<ChallengeTerms>;
  private resumeTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly leaseMs: number;

  constructor(
    private readonly options: GatewayOptions,
    private readonly log: Log,
    /** The deployed model of a modelId, as the catalog knows it now. */
    private readonly deployedModel: (modelId: string) => DeployedModel | undefined,
  ) {
    this.leaseMs = options.challengeLeaseMs ?? LEASE_MS;
    this.records = new ChallengeRecords(options.db, randomUUID(), this.leaseMs);
  }

  /** Takes up every unfinished challenge no live instance plays, now and every lease period. */
  async startResuming(): Promise<void> {
    if (!this.options.challenger) return;
    await this.resume();
    this.resumeTimer = setInterval(() => {
      this.resume().catch((error) =>
        this.log('warn', 'resuming client challenges failed', { error: (error as Error).message }),
      );
    }, this.leaseMs);
    this.resumeTimer.unref();
  }

  /** Stops playing and hands the games' leases back, so that another instance takes them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resumeTimer);
    // A game between moves stops at once; one still opening (waiting for the node's claim) is
    // not waited for: its lease is handed back here and whoever claims it next finds it opened.
    const ids = [...this.playing.keys()];
    await Promise.race([
      Promise.allSettled([...this.playing.values()].map((p) => p.done)),
      new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref()),
    ]);
    await Promise.allSettled(ids.map((id) => this.records.release(id)));
  }

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
   * Accepts a client's challenge of receipt `id`, stores it and opens it (waiting up to `waitMs`
   * for the node's claim; after that the status says `waiting_for_claim` and opening goes on).
   */
  async start(
    id: string,
    deployed: DeployedModel,
    found: { replicaUrl: string; receipt: string },
    request: ClientChallengeRequest,
    waitMs = this.options.challengeOpenWaitMs ?? 30_000,
  ): Promise<ChallengeStatus> {
    const known = await this.records.get(id);
    if (known && known.state !== 'failed') throw alreadyChallenged(id);
    const stored = JSON.parse(found.receipt) as StoredReceipt;
    const terms = await this.challengeTerms();
    await this.checkRequest(terms, toReceipt(stored.receipt), request);
    const accepted = await this.records.accept({
      receiptId: id,
      deploymentId: deployed.deploymentId,
      modelId: deployed.modelId,
      replicaUrl: found.replicaUrl,
      receipt: found.receipt,
      client: request.client,
      payee: request.client,
      authorization: request.authorization,
      signature: request.signature,
      bond: terms.challengeBond,
      state: 'waiting_for_claim',
    });
    if (!accepted) throw alreadyChallenged(id);
    const { opened } = this.play(id);
    await Promise.race([opened, new Promise((r) => setTimeout(r, waitMs).unref())]);
    return this.status(id);
  }
  /** The challenge of receipt `id` as it stands: from the database, then the game on chain. */
  async status(id: string): Promise<ChallengeStatus> {
    const record = await this.records.get(id);
    if (!record)
      throw new GatewayError(
        404,
        'invalid_request_error',
        'challenge_not_found',
        `no challenge of receipt '${id}' here`,
      );
    const status = statusOf(record);
    if (!record.disputeId || record.state !== 'open') return status;
    const game = await this.game(BigInt(record.disputeId));
    if (game.phase !== RESOLVED) return { ...status, phase: game.phase };
    const outcome = game.challengerWon ? 'challenger_won' : 'node_won';
    await this.records.resolved(id, outcome);
    return { ...status, state: 'resolved', phase: game.phase, outcome };
  }

  /** Resolves once every challenge this instance plays has opened or failed (games keep playing). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.playing.values()].map((p) => p.opened));
  }

  /** Claims and plays every unfinished challenge whose lease has run out. */
  private async resume(): Promise<void> {
    for (const id of await this.records.claimable()) {
      if (this.stopped || this.playing.has(id) || !(await this.records.claim(id))) continue;
      this.log('info', 'resuming a client challenge', { id });
      this.play(id);
    }
  }

  /**
   * Plays the challenge of receipt `id` (whose lease this instance holds) in the background:
   * `opened` resolves once the game is open or the challenge failed, `done` when this instance
   * stops playing it.
   */
  private play(id: string): { opened: Promise<void>; done: Promise<void> } {
    let markOpened = () => {};
    const opened = new Promise<void>((resolve) => {
      markOpened = resolve;
    });
    // The lease is renewed through every stage (re-execution and waiting for the claim can take
    // longer than a lease); once another instance holds it, this one stops at its next step.
    const lease = { held: true };
    const renew = setInterval(() => {
      this.records.claim(id).then(
        (held) => {
          lease.held &&= held;
        },
        () => {},
      );
    }, this.leaseMs / 3);
    renew.unref();
    const done = this.playToEnd(id, markOpened, () => lease.held && !this.stopped)
      .catch(async (error) => {
        this.log('warn', 'client challenge failed', { id, error: (error as Error).message });
        await this.records.progress(id, { state: 'failed', error: (error as Error).message });
      })
      .catch((error) =>
        this.log('error', 'recording a failed challenge failed', { id, error: String(error) }),
      )
      .finally(async () => {
        clearInterval(renew);
        markOpened();
        this.playing.delete(id);
        await this.records.release(id).catch(() => {});
      });
    const entry = { opened, done };
    this.playing.set(id, entry);
    return entry;
  }

  private async playToEnd(id: string, markOpened: () => void, holding: () => boolean): Promise<void> {
    const record = await this.records.get(id);
    if (!record) return;
    const deployed = this.deployedModel(record.modelId);
    if (!deployed) throw new Error(`model ${record.modelId} is no longer deployed here`);
    const stored = JSON.parse(record.receipt) as StoredReceipt;
    const view = await this.trueExecution(id, deployed, record.replicaUrl, stored);
    const disputeId = record.disputeId ? BigInt(record.disputeId) : await this.openGame(record, stored);
    if (!(await this.records.progress(id, { state: 'open', disputeId: disputeId.toString() }))) return;
    markOpened();
    const { client, addresses } = this.options.chain;
    const player = new DisputePlayer({
      client,
      account: this.options.challenger!,
      game: addresses.disputeGame,
      disputeId,
      role: 'challenger',
      view,
    });
    const end = await playOut(player, this.log, 'client challenge', { keepGoing: async () => holding() });
    if (end) await this.records.resolved(id, end.won ? 'challenger_won' : 'node_won');
  }

  /** Re-executes the receipt here: the view the game is played from. */
  private async trueExecution(
    id: string,
    deployed: DeployedModel,
    replicaUrl: string,
    stored: StoredReceipt,
  ) {
    const { chainId, claimRegistry } = await this.challengeTerms();
    const receipt = toReceipt(stored.receipt);
    const wire = await fetchInputs(replicaUrl, stored.receipt, stored.inputsToken);
    if (!wire) throw new Error('the node no longer serves this receipt’s inputs: the game cannot be played');
    const inputs = wire.map((t) => ({ ...t, data: Int32Array.from(t.data) })) as IntTensor[];
    const domain = { chainId, verifyingContract: claimRegistry };
    const verdict = await checkReceipt(await modelOf(deployed), receipt, inputs, domain);
    if (!verdict.view) throw new Error(`cannot judge the receipt: ${verdict.ok ? '' : verdict.reason}`);
    await this.records.progress(id, {
      gatewayVerdict: verdict.ok ? 'the receipt is right: the node should win' : `wrong: ${verdict.reason}`,
    });
    return verdict.view;
  }

  private async game(disputeId: bigint) {
    const { client, addresses } = this.options.chain;
    return (await client.read(addresses.disputeGame, disputeGameArtifact.abi, 'get', [disputeId])) as {
      phase: number;
      challengerWon: boolean;
    };
  }

  /** What the contract would refuse, refused here first with the field named. */
  private async checkRequest(
    terms: ChallengeTerms,
    receipt: ReturnType<typeof toReceipt>,
    r: ClientChallengeRequest,
  ) {
    const { authorization: a } = r;
    const digest = receiptDigest(receipt, receiptDomainOf(terms));
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

  /**
   * Opens the game with the client's authorization once the node's claim holding the receipt is
   * on chain; or finds the game an earlier run opened before it could record the dispute id
   * (the authorization's nonce is spent by then, so opening again would revert).
   */
  private async openGame(record: ChallengeRecord, stored: StoredReceipt): Promise<bigint> {
    const terms = await this.challengeTerms();
    const earlier = await this.openedBefore(terms, record);
    if (earlier !== undefined) return earlier;
    const receipt = toReceipt(stored.receipt);
    const { claimId, receipts, index } = await claimHolding(this.options, record.replicaUrl, receipt);
    const proof = new ReceiptBatch(receipts, receiptDomainOf(terms)).proof(index);
    const args = openAuthorizedArgs(record.client, record.authorization, record.signature, {
      claimId,
      receipt: receipts[index]!,
      index,
      proof,
    }) as unknown as unknown[];
    let sent: Awaited<ReturnType<ChainClient['send']>> | undefined;
    for (let attempt = 1; !sent; attempt++) {
      try {
        sent = await this.options.chain.client.send(
          this.options.challenger!,
          terms.bonds,
          challengeBondsArtifact.abi,
          'openAuthorized',
          args,
        );
      } catch (error) {
        // Another instance that held this challenge's lease while this one waited for the claim
        // (this one's lease ran out under it) opened the game first and spent the nonce: that
        // game is this challenge's, whoever plays it now. Otherwise the failure may be another
        // instance's transaction taking the agent's account nonce at the same moment: tried again.
        const opened = await this.openedBefore(terms, record);
        if (opened !== undefined) return opened;
        if (attempt === OPEN_ATTEMPTS) throw error;
        this.log('warn', 'opening a client challenge failed; retrying', {
          id: record.receiptId,
          error: String((error as Error).message).split('\n')[0],
        });
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    const disputeId = emitted(sent, terms.bonds, 'ChallengeOpened').disputeId as bigint;
    this.log('info', 'client challenge opened', { id: record.receiptId, disputeId: String(disputeId) });
    return disputeId;
  }

  private async openedBefore(terms: ChallengeTerms, record: ChallengeRecord): Promise<bigint | undefined> {
    const logs = (await this.options.chain.client.reader.getContractEvents({
      address: terms.bonds,
      abi: challengeBondsArtifact.abi,
      eventName: 'ChallengeOpened',
      args: { client: record.client, agent: terms.agent },
      fromBlock: 0n,
    } as never)) as unknown as { args: { disputeId: bigint; nonce: bigint } }[];
    return logs.find((l) => l.args.nonce === record.authorization.nonce)?.args.disputeId;
  }
}

function alreadyChallenged(id: string): GatewayError {
  return new GatewayError(
    409,
    'invalid_request_error',
    'challenge_exists',
    `receipt '${id}' is already challenged`,
  );
}
