import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { redactSecrets } from './redact.js';
import { RequestError } from './tensors.js';

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly client: string;
  /** A request header (lower-case name), if present. */
  header(name: string): string | undefined;
  /** The body parsed as JSON (rejects with 400/413 RequestErrors). */
  json(): Promise<unknown>;
  /** The body's bytes as received, read once (json() parses the same bytes). */
  bytes(): Promise<Buffer>;
}

export interface Response {
  readonly status: number;
  readonly body?: unknown;
  /** The body already serialized as JSON text (sent as is; `body` is then ignored). */
  readonly json?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A streamed body (a generation's tokens): written piece by piece after the head; the request
   * counts as in flight until it returns. A rejection ends the response where it stands.
   */
  readonly stream?: (write: (text: string) => void) => Promise<void>;
}

export type Handler = (request: Request) => Promise<Response>;

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  /** A route's own body limit in bytes, where it differs from `maxBodyBytes` (a batch route). */
  readonly maxBodyBytesFor?: (path: string) => number;
  /** Open connections at most; the server closes new ones past it at once. */
  readonly maxConnections: number;
  /** Requests of the `limited` routes answered at once; more get 503 before their body is read. */
  readonly maxInFlight: number;
  readonly limited: (method: string, path: string) => boolean;
}

export interface HttpServer {
  readonly server: Server;
  /** Requests of the limited routes admitted and not yet answered. */
  inFlight(): number;
}

/** JSON nested deeper than this is refused before parsing: no request needs more than a few levels. */
export const MAX_JSON_DEPTH = 32;
/** A slow client gets this long to send its headers, and its whole request. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * A plain node:http server around one handler. Admission comes first: connections past
 * `maxConnections` are closed, and requests past `maxInFlight` get 503 before a byte of their
 * body is read. Then every malformed request — an unparseable target, a body that is not
 * `application/json`, deeper than MAX_JSON_DEPTH or not JSON — gets a 400 naming the problem,
 * bodies past `maxBodyBytes` a 413, and any other error a JSON 500 with no detail (the detail,
 * secrets redacted, goes to `onError`).
 */
export function startHttp(
  options: HttpOptions,
  handler: Handler,
  onError: (error: unknown) => void,
): Promise<HttpServer> {
  let inFlight = 0;
  const server = createServer((req, res) => {
    void serve(req, res);
  });
  server.maxConnections = options.maxConnections;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    let response: Response;
    let admitted = false;
    try {
      const path = pathOf(req.url);
      if (options.limited(method, path)) {
        if (inFlight >= options.maxInFlight) {
          send(res, {
            status: 503,
            body: { error: 'busy' },
            headers: { 'retry-after': '1', connection: 'close' },
          });
          return;
        }
        inFlight++;
        admitted = true;
      }
      let body: Promise<Buffer> | undefined;
      const bytes = () => {
        body ??= readBody(req, options.maxBodyBytesFor?.(path) ?? options.maxBodyBytes);
        return body;
      };
      response = await handler({
        method,
        path,
        client: req.socket.remoteAddress ?? 'unknown',
        header: (name) => {
          const value = req.headers[name];
          return Array.isArray(value) ? value[0] : value;
        },
        json: async () => parseJson(req, await bytes()),
        bytes,
      });
      if (response.stream) return await streamTo(res, response, onError);
    } catch (error) {
      if (error instanceof RequestError) response = { status: error.status, body: { error: error.message } };
      else {
        onError(redactSecrets(String((error as Error)?.stack ?? error)));
        response = { status: 500, body: { error: 'internal error; see the node log' } };
      }
    } finally {
      if (admitted) inFlight--;
    }
    send(res, response);
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve({ server, inFlight: () => inFlight }));
  });
}

/** A response's body as sent: its JSON text, or its text body, or its body serialized (bigints as decimals). */
export function responseText(response: Response): string {
  return (
    response.json ??
    (response.contentType?.startsWith('text/') && typeof response.body === 'string'
      ? response.body
      : JSON.stringify(response.body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))
  );
}

function send(res: ServerResponse, response: Response): void {
  const body = Buffer.from(responseText(response));
  res.writeHead(response.status, {
    'content-type': response.contentType ?? 'application/json',
    // Known up front: one write of head and body, not a chunked body (chunk head, body, last chunk).
    'content-length': String(body.length),
    ...response.headers,
    // A refused request's body was not read: the connection cannot carry another request.
    ...(response.status === 413 || response.status === 400 ? { connection: 'close' } : {}),
  });
  res.end(body);
}

async function streamTo(res: ServerResponse, response: Response, onError: (error: unknown) => void) {
  res.writeHead(response.status, {
    'content-type': response.contentType ?? 'application/x-ndjson',
    'cache-control': 'no-cache',
    ...response.headers,
  });
  try {
    await response.stream!((text) => res.write(text));
  } catch (error) {
    onError(redactSecrets(String((error as Error)?.stack ?? error)));
  }
  res.end();
}

/** A plain origin-form target ("/v1/infer"): its path is itself, no URL parse needed. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~/]*$/;

function pathOf(target: string | undefined): string {
  // A URL object per request was ~2 % of the node's CPU under load (BENCHMARKS.md, issue 14).
  if (target !== undefined && PLAIN_PATH.test(target) && !target.includes('/.') && !target.startsWith('//'))
    return target;
  try {
    return new URL(target ?? '/', 'http://node').pathname;
  } catch {
    throw new RequestError('the request target is not a valid URL');
  }
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes)
    throw new RequestError(`the body is ${declared} bytes, over the ${maxBytes}-byte limit`, 413);
  return readStream(req, maxBytes);
}

function parseJson(req: IncomingMessage, body: Buffer): unknown {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new RequestError(`content-type must be application/json, got '${type.slice(0, 64)}'`);
  return parseJsonText(body);
}

/** JSON bytes parsed, refused with a 400 RequestError past MAX_JSON_DEPTH or when not JSON. */
export function parseJsonText(body: Buffer): unknown {
  const text = body.toString('utf8');
  const depth = fewOpenings(text) ? 0 : jsonDepth(text);
  if (depth > MAX_JSON_DEPTH)
    throw new RequestError(`the body nests ${depth} levels deep; at most ${MAX_JSON_DEPTH} are accepted`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The request's body, read with stream events (an async iterator costs a promise per chunk);
 * past `maxBytes` it stops reading and rejects with a 413.
 */
function readStream(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(new RequestError(`the body is over the ${maxBytes}-byte limit`, 413));
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new RequestError('the client closed the connection mid-body'));
    });
  });
}

/**
 * Whether the text opens at most MAX_JSON_DEPTH arrays and objects in all (so it cannot nest
 * deeper), counted with indexOf: an inference body opens three, and the character-by-character
 * depth scan is then skipped.
 */
function fewOpenings(text: string): boolean {
  let count = 0;
  for (const open of ['[', '{']) {
    for (let at = text.indexOf(open); at !== -1; at = text.indexOf(open, at + 1))
      if (++count > MAX_JSON_DEPTH) return false;
  }
  return true;
}

/** The deepest nesting of arrays and objects in JSON text (strings skipped); a linear scan. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return deepest;
}
