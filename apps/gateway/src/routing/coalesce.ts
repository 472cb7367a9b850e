import type { ReplicaState } from './replica.js';

/**
 * Coalescing: the inferences the gateway sends to one replica in the same turn of its event
 * loop travel as one request to the node's batch route, and the answers are split back, each
 * as the node would have answered it alone (its own outputs and its own signed receipt). There
 * is no timer: a lone inference goes out at the end of its turn, to the single route, exactly as
 * before, so low load gains no latency; under concurrent load the node parses, signs a request
 * check, journals and answers one HTTP request per batch instead of one per inference
 * (docs/decisions.md, "The node keeps up: several inferences per request").
 *
 * The batch body (apps/node/src/infer-batch.ts): a first line with a JSON array of the items'
 * byte lengths, then the items' bodies as the clients sent them, unparsed. The gateway signs the
 * whole batch body once; the node checks that signature over the whole body.
 */
export const INFER_BATCH_CONTENT_TYPE = 'application/vnd.stoa.infer-batch';

/**
 * The node's binary inputs form (apps/node/src/binary-inputs.ts): a body that starts with
 * "stoa" is sent to the single route with this content type; in a batch, the node tells the
 * forms apart by those bytes.
 */
export const BINARY_INPUTS_CONTENT_TYPE = 'application/vnd.stoa.inputs';
const BINARY_INPUTS_MAGIC = Buffer.from('stoa', 'latin1');

/** Inferences in one batch request at most (the node's MAX_BATCH_ITEMS). */
export const MAX_COALESCED = 32;

/** What a node answered to one inference. */
export interface NodeReply {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
}

/** One inference for a replica. */
export interface NodeCall {
  readonly replica: ReplicaState;
  readonly modelId: string;
  readonly body: Buffer;
  /** The credential and the gateway's signature for a request with this path and body. */
  readonly authHeaders: (path: string, body: Buffer) => Record<string, string>;
  readonly timeoutMs: number;
}

interface Pending {
  readonly call: NodeCall;
  readonly resolve: (reply: NodeReply) => void;
  readonly reject: (error: Error) => void;
}

/** Calls waiting for the end of this turn, per replica (a replica serves one deployment's model). */
const waiting = new Map<ReplicaState, Pending[]>();
/** Replicas whose node predates the batch route (it answered 404): they get single requests. */
const singlesOnly = new WeakSet<ReplicaState>();

/** Sends `call` with the others for its replica in this turn; resolves with its own reply. */
export function sendCoalesced(call: NodeCall): Promise<NodeReply> {
  return new Promise((resolve, reject) => {
    const queue = waiting.get(call.replica);
    if (queue) queue.push({ call, resolve, reject });
    else {
      waiting.set(call.replica, [{ call, resolve, reject }]);
      setImmediate(() => drain(call.replica));
    }
  });
}

/**
 * A turn's inferences are never split into batches smaller than this: below it a second batch's
 * own costs (the gateway's signature and HTTP request, the node's request check and journal
 * commit) outweigh the overlap it buys (docs/decisions.md, "two batches in flight", session 26: at 4
 * clients two batches of 2 lost on both CPU and throughput).
 */
export const MIN_SPLIT_BATCH = 4;

/**
 * Inferences the next batch to `replica` takes at most: all of this turn's with `batchesInFlight`
 * 1, else 1 / `batchesInFlight` of what the router has outstanding on it
 * (`ReplicaState.outstanding`: routed there and not yet answered, these included), rounded up,
 * and never fewer than MIN_SPLIT_BATCH. Closed-loop clients answered in one batch come back in one
 * turn: sent whole, that turn's batch keeps the node busy while the gateway idles, then the
 * gateway checks every receipt and answers every client while the node idles (at 16 clients the
 * node was busy 0.40–0.45 of its core through the gateway against 0.94–1.02 direct). Split in two,
 * the node computes one half while the gateway answers the other, so each side's work overlaps
 * the other's (docs/decisions.md, "The gateway's hand-off at 16 clients"). A caller that does not
 * count outstanding requests (0) gets whole turns.
 */
function batchCap(replica: ReplicaState): number {
  if (replica.outstanding <= 0 || replica.batchesInFlight <= 1) return MAX_COALESCED;
  const share = Math.ceil(replica.outstanding / replica.batchesInFlight);
  return Math.min(MAX_COALESCED, Math.max(MIN_SPLIT_BATCH, share));
}

function drain(replica: ReplicaState): void {
  const queue = waiting.get(replica) ?? [];
  const group = queue.splice(0, batchCap(replica));
  // What the cap left goes a turn later, with whatever joins it meanwhile.
  if (queue.length === 0) waiting.delete(replica);
  else setImmediate(() => drain(replica));
  if (group.length === 1 || singlesOnly.has(replica)) for (const p of group) settle(p, sendOne(p.call));
  else void sendBatch(group);
}

function settle(pending: Pending, reply: Promise<NodeReply>): void {
  reply.then(pending.resolve, pending.reject);
}

/** One inference to the single route: the request the gateway always sent. */
async function sendOne(call: NodeCall): Promise<NodeReply> {
  const path = `/v1/models/${call.modelId}/infer`;
  const binary = call.body.subarray(0, BINARY_INPUTS_MAGIC.length).equals(BINARY_INPUTS_MAGIC);
  return post(call, path, binary ? BINARY_INPUTS_CONTENT_TYPE : 'application/json', call.body);
}

async function post(call: NodeCall, path: string, contentType: string, body: Buffer): Promise<NodeReply> {
  const response = await call.replica.upstream.post(
    path,
    () => ({ 'content-type': contentType, ...call.authHeaders(path, body) }),
    body,
    call.timeoutMs,
  );
  return { statusCode: response.statusCode, body: parseObject(response.body) };
}

/** The node's answer as an object; {} when it is not JSON (the status then speaks for it). */
function parseObject(bytes: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Several inferences in one request to the batch route, the answers split back in order. */
async function sendBatch(group: readonly Pending[]): Promise<void> {
  const first = group[0]!.call;
  const lengths = Buffer.from(`${JSON.stringify(group.map((p) => p.call.body.length))}\n`, 'latin1');
  const body = Buffer.concat([lengths, ...group.map((p) => p.call.body)]);
  let reply: NodeReply;
  try {
    reply = await post(first, `/v1/models/${first.modelId}/infer-batch`, INFER_BATCH_CONTENT_TYPE, body);
  } catch (error) {
    for (const p of group) p.reject(error as Error);
    return;
  }
  const answers = reply.body.answers as { status?: number; body?: Record<string, unknown> }[] | undefined;
  if (reply.statusCode === 200 && Array.isArray(answers) && answers.length === group.length) {
    for (const [i, p] of group.entries())
      p.resolve({ statusCode: answers[i]!.status ?? 0, body: answers[i]!.body ?? {} });
    return;
  }
  // The replica failed as a whole (5xx, a refused signature, busy): each inference fails over.
  if (reply.statusCode >= 500 || reply.statusCode === 401 || reply.statusCode === 429) {
    for (const p of group) p.resolve(reply);
    return;
  }
  // A node without the batch route, or a batch it would not take: each inference alone.
  if (reply.statusCode === 404 && String(reply.body.error).startsWith('no route'))
    singlesOnly.add(first.replica);
  for (const p of group) settle(p, sendOne(p.call));
}
