import { type Response, responseText } from './http.js';
import { MAX_BATCH } from './on-demand-answers.js';
import { RequestError } from './tensors.js';

/**
 * Several inferences in one HTTP request (POST /v1/infer-batch, /v1/models/{id}/infer-batch),
 * as a gateway sends the inferences it gathered for this node in one turn of its event loop.
 * The body is a first line holding a JSON array of the items' byte lengths, then the items'
 * bytes back to back, each exactly the body that would have been POSTed to the single route:
 *
 *     [27,27]\n{"inputs":[[0.1, ...]]}{"inputs":[[0.5, ...]]}
 *
 * Framing by length (not a JSON array of bodies) lets the gateway forward the bodies it got
 * without parsing them, and lets the node answer each item exactly as if it came alone: an item
 * that is not JSON gets the single route's 400, and the others are answered. The answer is
 * `{"answers":[{"status":200,"body":{...}}, {"status":400,"body":{"error":"..."}}]}`, in order,
 * each body byte for byte what the single route would have sent.
 */
export const INFER_BATCH_CONTENT_TYPE = 'application/vnd.stoa.infer-batch';

/** Inferences in one batch request at most: one micro-batch of the node's answering function. */
export const MAX_BATCH_ITEMS = MAX_BATCH;

/** The body limit of a batch request: MAX_BATCH_ITEMS single bodies and their length line. */
export function batchBodyLimit(maxBodyBytes: number): number {
  return MAX_BATCH_ITEMS * maxBodyBytes + 16 * MAX_BATCH_ITEMS;
}

/** A batch body holding `items`, each the body of one single inference request. */
export function batchBody(items: readonly Buffer[]): Buffer {
  const lengths = Buffer.from(`${JSON.stringify(items.map((item) => item.length))}\n`, 'latin1');
  return Buffer.concat([lengths, ...items]);
}

/** An item's body, or the error that answers that item alone (an item past the single limit). */
export type BatchItem = Buffer | RequestError;

/**
 * The items of a batch body. The request as a whole is refused (400) when its framing is
 * malformed, and with 413 when it holds more than MAX_BATCH_ITEMS; an item over
 * `maxItemBytes` is refused alone, with the single route's 413.
 */
export function splitBatch(body: Buffer, contentType: string | undefined, maxItemBytes: number): BatchItem[] {
  if (!contentType?.toLowerCase().startsWith(INFER_BATCH_CONTENT_TYPE))
    throw new RequestError(
      `content-type must be ${INFER_BATCH_CONTENT_TYPE}, got '${(contentType ?? '').slice(0, 64)}'`,
    );
  const newline = body.indexOf(10);
  const lengths = newline === -1 ? undefined : parseLengths(body.subarray(0, newline).toString('latin1'));
  if (!lengths)
    throw new RequestError('a batch body starts with a line holding a JSON array of its items’ byte lengths');
  if (lengths.length === 0) throw new RequestError('the batch holds no inferences');
  if (lengths.length > MAX_BATCH_ITEMS)
    throw new RequestError(
      `the batch holds ${lengths.length} inferences; at most ${MAX_BATCH_ITEMS} are accepted per request`,
      413,
    );
  const total = lengths.reduce((sum, n) => sum + n, 0);
  const rest = body.length - newline - 1;
  if (total !== rest)
    throw new RequestError(`the batch's lengths add up to ${total} bytes, but ${rest} follow the first line`);
  let at = newline + 1;
  return lengths.map((length, i) => {
    const item = body.subarray(at, at + length);
    at += length;
    return length > maxItemBytes
      ? new RequestError(`inference ${i} is ${length} bytes, over the ${maxItemBytes}-byte limit`, 413)
      : item;
  });
}

function parseLengths(line: string): number[] | undefined {
  if (line.length > 16 * (MAX_BATCH_ITEMS + 1)) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return Array.isArray(parsed) && parsed.every((n) => Number.isSafeInteger(n) && n >= 0)
      ? (parsed as number[])
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Answers every item with `answerOne` at once (so that the node's micro-batcher takes them in
 * one turn) and gathers the answers in order. An item's RequestError is its own answer; any
 * other error is reported to `onError` and answered 500, as the single route does.
 */
export async function answerBatch(
  items: readonly BatchItem[],
  answerOne: (item: Buffer) => Promise<Response>,
  onError: (error: unknown) => void,
): Promise<Response> {
  const answers = await Promise.all(
    items.map(async (item): Promise<Response> => {
      try {
        if (item instanceof RequestError) throw item;
        return await answerOne(item);
      } catch (error) {
        if (error instanceof RequestError) return { status: error.status, body: { error: error.message } };
        onError(error);
        return { status: 500, body: { error: 'internal error; see the node log' } };
      }
    }),
  );
  const parts = answers.map((a) => `{"status":${a.status},"body":${responseText(a)}}`);
  return { status: 200, json: `{"answers":[${parts.join(',')}]}` };
}
