import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHead, UpstreamPool } from './upstream.js';

/** A node:http server with a few behaviours by path; counts the TCP connections it accepted. */
let server: Server;
let origin: string;
let connections = 0;
let inFlight = 0;
let maxInFlight = 0;

function read(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await read(req);
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  const done = () => inFlight--;
  if (req.url === '/echo')
    res.end(
      JSON.stringify({ body: body.toString(), sig: req.headers['x-sig'], type: req.headers['content-type'] }),
    );
  else if (req.url === '/chunked') {
    res.write('{"a":');
    setTimeout(() => res.end('[1,2,3]}'), 5);
  } else if (req.url === '/big') {
    // 512 KiB in 64 writes: the answer reaches the client in many chunks.
    res.setHeader('content-length', String(64 * 8192));
    for (let i = 0; i < 64; i++) res.write(Buffer.alloc(8192, 97 + (i % 26)));
    res.end();
  } else if (req.url === '/slow') setTimeout(() => res.end('{}'), 30);
  else if (req.url === '/never')
    return; // answers nothing
  else if (req.url === '/close') {
    res.setHeader('connection', 'close');
    res.end('{"closed":true}');
  } else {
    res.statusCode = 404;
    res.end('{"error":"no route"}');
  }
  res.on('finish', done);
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('UpstreamPool', () => {
  it('posts with fresh headers, reads content-length and chunked answers, and reuses its socket', async () => {
    const pool = new UpstreamPool(origin);
    const before = connections;
    let n = 0;
    const headers = () => ({ 'content-type': 'application/json', 'x-sig': `s${n++}` });
    const first = await pool.post('/echo', headers, Buffer.from('{"x":1}'), 2_000);
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body.toString())).toEqual({
      body: '{"x":1}',
      sig: 's0',
      type: 'application/json',
    });
    const chunked = await pool.post('/chunked', headers, Buffer.alloc(0), 2_000);
    expect(JSON.parse(chunked.body.toString())).toEqual({ a: [1, 2, 3] });
    const big = (await pool.post('/big', headers, Buffer.alloc(0), 5_000)).body;
    expect(big.length).toBe(64 * 8192);
    expect([big[0], big[8192], big[63 * 8192 + 5]]).toEqual([97, 98, 97 + (63 % 26)]);
    const missing = await pool.post('/nope', headers, Buffer.from('{}'), 2_000);
    expect([missing.statusCode, missing.body.toString()]).toEqual([404, '{"error":"no route"}']);
    expect(connections - before).toBe(1);
    pool.close();
  });

  it('opens a new socket after `connection: close`, and after the server drops an idle one', async () => {
    const pool = new UpstreamPool(origin);
    const before = connections;
    const none = () => ({});
    expect(JSON.parse((await pool.post('/close', none, Buffer.alloc(0), 2_000)).body.toString())).toEqual({
      closed: true,
    });
    await pool.post('/echo', none, Buffer.from('a'), 2_000);
    // The server closes every idle keep-alive socket (as one past its keep-alive timeout would).
    server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 20));
    expect((await pool.post('/echo', none, Buffer.from('b'), 2_000)).statusCode).toBe(200);
    expect(connections - before).toBe(3);
    pool.close();
  });

  it('keeps at most maxSockets requests open and answers every waiting one', async () => {
    const pool = new UpstreamPool(origin, 2);
    maxInFlight = 0;
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => pool.post('/slow', () => ({}), Buffer.from(String(i)), 2_000)),
    );
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(maxInFlight).toBe(2);
    pool.close();
  });

  it('rejects on a timeout, a refused connection and a closed pool', async () => {
    const pool = new UpstreamPool(origin);
    await expect(pool.post('/never', () => ({}), Buffer.alloc(0), 50)).rejects.toThrow(/within 50 ms/);
    const refused = new UpstreamPool('http://127.0.0.1:1');
    await expect(refused.post('/echo', () => ({}), Buffer.alloc(0), 2_000)).rejects.toThrow(/ECONNREFUSED/);
    pool.close();
    await expect(pool.post('/echo', () => ({}), Buffer.alloc(0), 2_000)).rejects.toThrow(/closed/);
    expect(() => new UpstreamPool('https://127.0.0.1:1')).toThrow(/only http:/);
  });

  it('reads the framing and keep-alive of a head, and refuses one it cannot frame', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 12\r\nKeep-Alive: timeout=5')).toEqual({
      status: 200,
      length: 12,
      close: false,
      keepAliveMs: 5_000,
    });
    expect(parseHead('HTTP/1.0 503 x\r\ntransfer-encoding: chunked')).toEqual({
      status: 503,
      length: -1,
      close: true,
    });
    expect(parseHead('HTTP/1.1 204 No Content')).toEqual({ status: 204, length: 0, close: false });
    expect(parseHead('HTTP/1.1 200 OK\r\nconnection: close')).toMatch(/neither a content-length/);
    expect(parseHead('SSH-2.0')).toMatch(/not an HTTP/);
  });
});
