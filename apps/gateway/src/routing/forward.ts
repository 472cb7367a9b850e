import { GATEWAY_SIGNATURE_HEADER, type SignedReceipt } from '@stoa/ir';
import { Errors, GatewayError } from '../errors.js';
import type { DeployedModel } from './catalog.js';
import { sendCoalesced } from './coalesce.js';
import { pickReplica, type ReplicaState } from './replica.js';

/** What a node answered, once its receipt passed the gateway's checks. */
export interface NodeAnswer {
  readonly replica: ReplicaState;
  readonly status: number;
  readonly body: Record<string, unknown> & { receipt?: WireReceipt; inputsToken?: string };
  readonly latencyMs: number;
  /** Replicas that failed before this one answered. */
  readonly failovers: number;
}

export type WireReceipt = Omit<SignedReceipt, 'nonce'> & { nonce: string };

export interface ForwardOptions {
  /** The deployment's shared credential, for nodes that predate signed requests. */
  readonly credential: string;
  /** The gateway's signature on this request (x-stoa-gateway-signature), made per attempt. */
  readonly sign: (path: string, body: Buffer) => string;
  readonly timeoutMs: number;
  /** Why a 200's receipt is not acceptable from this replica, or undefined when it is. */
  readonly checkReceipt: (
    receipt: WireReceipt | undefined,
    replica: ReplicaState,
  ) => Promise<string | undefined>;
  readonly onFailure?: (replica: ReplicaState, why: string) => void;
  /** Only replicas on networks other than this one (spot checks, replication). */
  readonly otherThanNetwork?: string;
}

export const CREDENTIAL_HEADER = 'x-stoa-gateway-credential';

/**
 * Sends an inference to the best available replica and, when it fails (connection refused,
 * timeout, 5xx, a refused credential or a receipt that fails the checks), to the next best:
 * inference is idempotent, so a retry cannot do harm. A 4xx other than 401 is the request's own
 * fault and goes back to the client as it is.
 */
export async function forward(
  model: DeployedModel,
  body: Buffer,
  options: ForwardOptions,
): Promise<NodeAnswer> {
  const tried = new Set<ReplicaState>();
  const candidates = model.replicas.filter(
    (r) => !options.otherThanNetwork || r.network !== options.otherThanNetwork,
  );
  let lastWhy = 'no replica of this model is healthy';
  for (;;) {
    const replica = pickReplica(candidates, tried);
    if (!replica) throw Errors.unavailable(`${lastWhy}; ${tried.size} tried`);
    tried.add(replica);
    replica.begin();
    const started = performance.now();
    let outcome: { answer?: NodeAnswer; why?: string };
    try {
      outcome = await attempt(model, replica, body, options, started, tried.size - 1);
    } catch (error) {
      if (error instanceof GatewayError) {
        replica.succeeded(performance.now() - started); // it answered; the request was at fault
        throw error;
      }
      outcome = { why: `replica ${replica.id} (${replica.network}): ${(error as Error).message}` };
    }
    if (outcome.answer) {
      replica.succeeded(outcome.answer.latencyMs);
      return outcome.answer;
    }
    replica.failed();
    lastWhy = outcome.why!;
    options.onFailure?.(replica, lastWhy);
  }
}

async function attempt(
  model: DeployedModel,
  replica: ReplicaState,
  body: Buffer,
  options: ForwardOptions,
  started: number,
  failovers: number,
): Promise<{ answer?: NodeAnswer; why?: string }> {
  // Sent with the other inferences for this replica in this turn, as one request when there are
  // several (coalesce.ts); a lone one goes to the single route as before.
  const response = await sendCoalesced({
    replica,
    modelId: model.modelId,
    body,
    timeoutMs: options.timeoutMs,
    authHeaders: (path, bytes) => ({
      [CREDENTIAL_HEADER]: options.credential,
      [GATEWAY_SIGNATURE_HEADER]: options.sign(path, bytes),
    }),
  });
  const parsed = response.body as NodeAnswer['body'];
  const latencyMs = performance.now() - started;
  const where = `replica ${replica.id} (${replica.network})`;
  if (response.statusCode >= 500 || response.statusCode === 401 || response.statusCode === 429)
    return { why: `${where} answered ${response.statusCode}` };
  if (response.statusCode !== 200) {
    // The request's own fault (bad inputs, too large): every replica would say the same.
    const message =
      typeof parsed.error === 'string' ? parsed.error : `the node answered ${response.statusCode}`;
    throw new GatewayError(response.statusCode, 'invalid_request_error', 'invalid_inputs', message);
  }
  const refused = await options.checkReceipt(parsed.receipt, replica);
  if (refused) return { why: `${where}: its receipt failed the gateway's check: ${refused}` };
  return { answer: { replica, status: 200, body: parsed, latencyMs, failovers } };
}
