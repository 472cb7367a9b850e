import {
  type GenerationReceiptJson,
  generationInputDigest,
  generationOutputDigest,
  toHex,
  tokenRoot,
} from '@stoa/ir';
import { Errors, GatewayError } from '../errors.js';
import type { DeployedModel } from '../routing/catalog.js';
import type { WireReceipt } from '../routing/forward.js';
import { pickReplica, type ReplicaState } from '../routing/replica.js';

/** What a node's generation receipt carries (libs/ir `GenerationReceiptJson`). */
export type NodeGenerationReceipt = GenerationReceiptJson;

/** The node's generation request (apps/node generation.ts). */
export interface NodeGenerationRequest {
  readonly promptTokens: readonly number[];
  readonly maxTokens: number;
  readonly temperatureMilli: number;
  /** An unsigned 64-bit integer, decimal. */
  readonly seed: string;
  readonly stopSequences: readonly (readonly number[])[];
}

export interface GeneratedOnNode {
  readonly replica: ReplicaState;
  readonly tokens: number[];
  readonly finishReason: 'stop' | 'length';
  readonly receipt: NodeGenerationReceipt;
  readonly latencyMs: number;
}

export interface StreamGenerationOptions {
  /** The credential and gateway signature headers for a request with this path and body. */
  readonly authHeaders: (path: string, body: Buffer) => Record<string, string>;
  readonly timeoutMs: number;
  /** The gateway's receipt check (signed by this replica's staked node, for this model). */
  readonly checkReceipt: (receipt: WireReceipt, replica: ReplicaState) => Promise<string | undefined>;
  readonly onFailure?: (replica: ReplicaState, why: string) => void;
  /**
   * Whether `onToken` hands tokens to the client as they come (a streamed request): a retry
   * must then replay them. Unstreamed, a failed replica's tokens were never shown and are dropped.
   */
  readonly streaming: boolean;
}

/** A replica's fault (it may be retried on another); anything else is the request's. */
class ReplicaFault extends Error {}

/** The client already holds tokens that no receipt binds: nothing can be retried. */
const unbound = (why: string) => new GatewayError(502, 'server_error', 'generation_unverified', why);

const sameTokens = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * Why a node's generation receipt does not bind what was streamed and asked, or undefined: the
 * signed receipt passes the gateway's check (`checkReceipt`), its inputDigest is the prompt and
 * the sampling asked for, its outputDigest the tokens streamed, its traceRoot the tree of the
 * token leaves given, and each leaf's digests are those of the node's signed step receipt.
 */
export async function generationReceiptProblem(
  receipt: NodeGenerationReceipt,
  request: NodeGenerationRequest,
  streamed: readonly number[],
  checkSigned: (receipt: WireReceipt) => Promise<string | undefined>,
): Promise<string | undefined> {
  const g = receipt.generation;
  if (!g || !Array.isArray(receipt.tokenSteps) || !Array.isArray(receipt.steps)) return 'malformed receipt';
  const signed = await checkSigned(g);
  if (signed) return `generation receipt: ${signed}`;
  const sampling = { temperatureMilli: request.temperatureMilli, seed: BigInt(request.seed) };
  if (g.inputDigest.toLowerCase() !== toHex(generationInputDigest(request.promptTokens, sampling)))
    return 'the receipt does not bind the prompt and sampling parameters asked for';
  if (g.outputDigest.toLowerCase() !== toHex(generationOutputDigest(streamed)))
    return 'the receipt signs other tokens than the node streamed';
  const steps = receipt.tokenSteps;
  if (
    steps.length !== streamed.length ||
    g.steps !== streamed.length ||
    !sameTokens(
      steps.map((s) => s.token),
      streamed,
    )
  )
    return 'the token leaves are not the streamed tokens';
  if (g.traceRoot.toLowerCase() !== toHex(tokenRoot(steps)))
    return 'the token leaves do not hash to traceRoot';
  if (receipt.steps.length !== steps.length) return 'a step receipt is missing';
  for (const [i, step] of receipt.steps.entries()) {
    if (
      step.inputDigest.toLowerCase() !== steps[i]!.inputDigest.toLowerCase() ||
      step.outputDigest.toLowerCase() !== steps[i]!.outputDigest.toLowerCase()
    )
      return `token ${i}'s leaf is not its step receipt's execution`;
    const why = await checkSigned(step);
    if (why) return `step receipt ${i}: ${why}`;
  }
  return undefined;
}

/**
 * Runs a generation on a replica of `model` and streams its tokens to `onToken` as the node
 * produces them, failing over like an inference (connection refused, timeout, 5xx, 401, 429, a
 * receipt that fails the checks). Generation is deterministic (greedy, or seeded), so a retry
 * on another replica replays the same tokens: those already passed on are checked against the
 * replay and the rest continue; a replay that differs ends the request with a 502, since the
 * client already holds tokens no receipt binds.
 */
export async function streamGeneration(
  model: DeployedModel,
  request: NodeGenerationRequest,
  onToken: (token: number) => void | Promise<void>,
  options: StreamGenerationOptions,
): Promise<GeneratedOnNode> {
  const body = Buffer.from(JSON.stringify(request));
  const passedOn: number[] = [];
  const tried = new Set<ReplicaState>();
  let lastWhy = 'no replica of this model is healthy';
  for (;;) {
    const replica = pickReplica(model.replicas, tried);
    if (!replica) throw Errors.unavailable(`${lastWhy}; ${tried.size} tried`);
    tried.add(replica);
    replica.begin();
    const started = performance.now();
    if (!options.streaming) passedOn.length = 0;
    try {
      const done = await generateOn(model, replica, body, request, passedOn, onToken, options);
      const latencyMs = performance.now() - started;
      replica.succeeded(latencyMs);
      return { ...done, replica, latencyMs };
    } catch (error) {
      if (error instanceof GatewayError) {
        replica.succeeded(performance.now() - started);
        throw error;
      }
      replica.failed();
      lastWhy = `replica ${replica.id} (${replica.network}): ${(error as Error).message}`;
      options.onFailure?.(replica, lastWhy);
    }
  }
}

async function generateOn(
  model: DeployedModel,
  replica: ReplicaState,
  body: Buffer,
  request: NodeGenerationRequest,
  passedOn: number[],
  onToken: (token: number) => void | Promise<void>,
  options: StreamGenerationOptions,
): Promise<{ tokens: number[]; finishReason: 'stop' | 'length'; receipt: NodeGenerationReceipt }> {
  const path = `/v1/models/${model.modelId}/generate`;
  const response = await replica.pool.request({
    path,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.authHeaders(path, body) },
    body,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  if (response.statusCode !== 200) {
    const answer = (await response.body.json().catch(() => ({}))) as { error?: unknown };
    if (response.statusCode >= 500 || response.statusCode === 401 || response.statusCode === 429)
      throw new ReplicaFault(`answered ${response.statusCode}`);
    const message =
      typeof answer.error === 'string' ? answer.error : `the node answered ${response.statusCode}`;
    throw new GatewayError(response.statusCode, 'invalid_request_error', 'invalid_request', message);
  }
  const tokens: number[] = [];
  let end: { finishReason?: 'stop' | 'length'; receipt?: NodeGenerationReceipt; error?: string } | undefined;
  for await (const line of lines(response.body)) {
    const message = JSON.parse(line) as { token?: number } & NonNullable<typeof end>;
    if (typeof message.token !== 'number') {
      end = message;
      break;
    }
    const index = tokens.push(message.token) - 1;
    if (index < passedOn.length) {
      if (passedOn[index] !== message.token)
        throw unbound(`replicas disagree on token ${index} of a deterministic generation`);
    } else {
      passedOn.push(message.token);
      await onToken(message.token);
    }
  }
  if (!end?.receipt || !end.finishReason)
    throw new ReplicaFault(end?.error ?? 'the stream ended without a receipt');
  const why = await generationReceiptProblem(end.receipt, request, tokens, (r) =>
    options.checkReceipt(r, replica),
  );
  if (why) {
    if (passedOn.length > 0 && !sameTokens(passedOn.slice(0, tokens.length), tokens))
      throw unbound(`its receipt failed the gateway's check: ${why}`);
    throw new ReplicaFault(`its receipt failed the gateway's check: ${why}`);
  }
  return { tokens, finishReason: end.finishReason, receipt: end.receipt };
}

/** Newline-delimited lines of a byte stream. */
async function* lines(stream: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let pending = '';
  for await (const chunk of stream) {
    pending += chunk.toString('utf8');
    for (let at = pending.indexOf('\n'); at !== -1; at = pending.indexOf('\n')) {
      const line = pending.slice(0, at);
      pending = pending.slice(at + 1);
      if (line.trim()) yield line;
    }
  }
  if (pending.trim()) yield pending;
}
