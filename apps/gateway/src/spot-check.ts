import { Errors, GatewayError } from './errors.js';
import type { GatewayOptions } from './options.js';
import { disputeLiar } from './receipts/dispute.js';
import type { DeployedModel } from './routing/catalog.js';
import type { NodeAnswer, WireReceipt } from './routing/forward.js';

type Send = (model: DeployedModel, body: Buffer, otherThanNetwork?: string) => Promise<NodeAnswer>;
type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface CheckResult {
  readonly outcome: 'match' | 'mismatch' | 'unavailable';
  readonly checkNetwork?: string;
  readonly checkNode?: string;
  readonly detail: string;
}

/**
 * Spot checks: a fraction of requests (and every `verify: "replicate"` request, and every
 * challenge) replayed on a replica of another network; the two receipts must commit to the same
 * inputs and outputs. Every check is recorded in SpotCheck. On a mismatch the gateway fetches
 * the inputs, re-executes the model itself to find which node lied, and disputes that node's
 * receipt on chain (receipts/dispute.ts).
 */
export class SpotChecker {
  private readonly running = new Set<Promise<unknown>>();
  readonly disputes: Promise<unknown>[] = [];
  private readonly disputing = new Set<string>();

  constructor(
    private readonly options: GatewayOptions,
    private readonly send: Send,
    private readonly log: Log,
  ) {}

  /** Samples this request at the configured rate; the check runs after the answer has left. */
  maybe(requestId: string, model: DeployedModel, body: Buffer, answer: NodeAnswer): void {
    const rate = this.options.spotCheckRate ?? 0;
    if (rate <= 0 || (this.options.random ?? Math.random)() >= rate) return;
    this.track(this.check(requestId, model, body, answer));
  }

  /** `verify: "replicate"`: the answer leaves only if another network's replica agrees. */
  async replicate(
    requestId: string,
    model: DeployedModel,
    body: Buffer,
    answer: NodeAnswer,
  ): Promise<CheckResult> {
    const result = await this.check(requestId, model, body, answer);
    if (result.outcome === 'match') return result;
    if (result.outcome === 'unavailable') throw Errors.unavailable(`replication: ${result.detail}`);
    throw new GatewayError(502, 'verification_error', 'replicas_disagree', `replication: ${result.detail}`);
  }

  /** A client's challenge of a receipt the gateway returned: replay it elsewhere and compare. */
  async challenge(
    requestId: string,
    model: DeployedModel,
    found: { network: string; node: string; replicaUrl: string; receipt: string },
  ): Promise<CheckResult> {
    const { receipt, inputsToken } = JSON.parse(found.receipt) as {
      receipt: WireReceipt;
      inputsToken?: string;
    };
    const inputs = await fetchInputs(found.replicaUrl, receipt, inputsToken);
    if (!inputs) return { outcome: 'unavailable', detail: 'the node no longer serves this receipt’s inputs' };
    const body = Buffer.from(JSON.stringify({ inputs: inputs.map((t) => t.data) }));
    const primary = {
      replica: { network: found.network, node: found.node, url: found.replicaUrl },
      body: { receipt, ...(inputsToken ? { inputsToken } : {}) },
    };
    return this.check(requestId, model, body, primary as unknown as NodeAnswer);
  }

  /** One dispute at a time per pair of nodes: the first mismatch suffices to slash a liar. */
  private disputeOnce(model: DeployedModel, answers: NodeAnswer[]) {
    const pair = answers
      .map((a) => a.replica.node)
      .sort()
      .join('/');
    if (this.disputing.has(pair)) return Promise.resolve(undefined);
    this.disputing.add(pair);
    return disputeLiar(this.options, model, answers, this.log);
  }

  /** Resolves once every check started so far has finished (disputes keep running). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((error) =>
      this.log('warn', 'spot check failed', { error: String((error as Error).message) }),
    );
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private async check(
    requestId: string,
    model: DeployedModel,
    body: Buffer,
    answer: NodeAnswer,
  ): Promise<CheckResult> {
    const primary = answer.body.receipt!;
    let result: CheckResult;
    let other: NodeAnswer | undefined;
    try {
      other = await this.send(model, body, answer.replica.network);
      const theirs = other.body.receipt!;
      const same = theirs.inputDigest === primary.inputDigest && theirs.outputDigest === primary.outputDigest;
      result = {
        outcome: same ? 'match' : 'mismatch',
        checkNetwork: other.replica.network,
        checkNode: other.replica.node ?? '',
        detail: same
          ? ''
          : `output ${primary.outputDigest} on ${answer.replica.network} vs ${theirs.outputDigest} on ${other.replica.network}`,
      };
    } catch (error) {
      result = { outcome: 'unavailable', detail: (error as Error).message };
    }
    const row = await this.options.db.spotCheck.create({
      data: {
        requestId,
        deploymentId: model.deploymentId,
        modelId: model.modelId,
        primaryNode: answer.replica.node ?? '',
        primaryNetwork: answer.replica.network,
        checkNode: result.checkNode ?? null,
        checkNetwork: result.checkNetwork ?? null,
        outcome: result.outcome,
        detail: result.detail,
      },
    });
    if (result.outcome === 'mismatch' && other) {
      this.log('warn', 'spot check mismatch', { requestId, detail: result.detail });
      if (this.options.challenger) {
        const dispute = this.disputeOnce(model, [answer, other]).then(async (opened) => {
          if (opened)
            await this.options.db.spotCheck.update({
              where: { id: row.id },
              data: {
                outcome: 'disputed',
                disputeId: opened.disputeId.toString(),
                detail: `${result.detail}; disputed node ${opened.node}`,
              },
            });
          return opened;
        });
        this.disputes.push(
          dispute.catch((error) => this.log('error', 'dispute failed', { error: String(error) })),
        );
      }
    }
    return result;
  }
}

/** A receipt's inputs, read back from its node with the token issued with it. */
export async function fetchInputs(replicaUrl: string, receipt: WireReceipt, inputsToken: string | undefined) {
  const response = await fetch(`${replicaUrl}/v1/traces/${receipt.traceRoot}`, {
    headers: inputsToken ? { authorization: `Bearer ${inputsToken}` } : {},
  });
  if (!response.ok) return undefined;
  return ((await response.json()) as { inputs: { dtype: string; shape: number[]; data: number[] }[] }).inputs;
}
