import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { RequestError } from './tensors.js';

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly client: string;
  /** The body parsed as JSON (rejects with 400/413 RequestErrors). */
  json(): Promise<unknown>;
}

export interface Response {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (request: Request) => Promise<Response>;

/**
 * A plain node:http server around one handler: bodies are capped at `maxBodyBytes` (413 past
 * it, without reading the rest), JSON is parsed with a 400 naming the problem, and any error a
 * handler throws becomes a JSON error response — never a stack trace on the wire.
 */
export function startHttp(
  options: { readonly host: string; readonly port: number; readonly maxBodyBytes: number },
  handler: Handler,
  onError: (error: unknown) => void,
): Promise<Server> {
  const server = createServer((req, res) => {
    void serve(req, res);
  });
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    let response: Response;
    try {
      const url = new URL(req.url ?? '/', 'http://node');
      response = await handler({
        method: req.method ?? 'GET',
        path: url.pathname,
        client: req.socket.remoteAddress ?? 'unknown',
        json: () => readJson(req, options.maxBodyBytes),
      });
    } catch (error) {
      if (error instanceof RequestError) response = { status: error.status, body: { error: error.message } };
      else {
        onError(error);
        response = { status: 500, body: { error: 'internal error; see the node log' } };
      }
    }
    const text =
      response.contentType?.startsWith('text/') && typeof response.body === 'string'
        ? response.body
        : JSON.stringify(response.body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    res.writeHead(response.status, {
      'content-type': response.contentType ?? 'application/json',
      ...response.headers,
      ...(response.status === 413 ? { connection: 'close' } : {}),
    });
    res.end(text);
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes)
    throw new RequestError(`the body is ${declared} bytes, over the ${maxBytes}-byte limit`, 413);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new RequestError(`the body is over the ${maxBytes}-byte limit`, 413);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(`the body is not valid JSON: ${(error as Error).message}`);
  }
}
