import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string, url: URL) => unknown;

/** A real HTTP server on 127.0.0.1 and a free port; HTTPS with `tls` (PEM key and certificate). */
export async function startServer(
  handler: Handler,
  tls?: { key: string; cert: string },
): Promise<RunningServer> {
  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    try {
      await handler(req, res, Buffer.concat(chunks).toString('utf8'), url);
    } catch (e) {
      if (!res.headersSent) sendJson(res, 500, { error: String((e as Error)?.message ?? e) });
      else res.destroy();
    }
  };
  const server: Server = tls ? createTlsServer(tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stream a container's log lines as text, with a heartbeat line while following. */
export async function streamLog(
  res: ServerResponse,
  lines: string[],
  follow: boolean,
  tail?: number,
): Promise<void> {
  res.statusCode = 200;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  for (const l of tail === undefined ? lines : lines.slice(-tail)) res.write(`${l}\n`);
  if (!follow) return void res.end();
  let n = 0;
  const t = setInterval(() => res.write(`${new Date().toISOString()} heartbeat ${++n}\n`), 100);
  res.on('close', () => clearInterval(t));
}

/** Stream lines as server-sent events (`data: <line>` and a blank line each), with a heartbeat event while following. */
export async function streamEvents(
  res: ServerResponse,
  lines: string[],
  follow: boolean,
  tail?: number,
): Promise<void> {
  res.statusCode = 200;
  res.setHeader('content-type', 'text/event-stream');
  res.setHeader('cache-control', 'no-cache');
  for (const l of tail === undefined ? lines : lines.slice(-tail)) res.write(`data: ${l}\n\n`);
  if (!follow) return void res.end();
  let n = 0;
  // Lines appended while following (a running workload's output) are sent as they come.
  let sent = lines.length;
  const t = setInterval(() => {
    for (const l of lines.slice(Math.min(sent, lines.length))) res.write(`data: ${l}\n\n`);
    sent = lines.length;
    res.write(`: keep-alive\ndata: ${new Date().toISOString()} heartbeat ${++n}\n\n`);
  }, 100);
  res.on('close', () => clearInterval(t));
}
