import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepAlivePoster, parseHead } from './load-client.js';

describe('the load generator’s keep-alive client', () => {
  let server: Server;
  let base: string;
  const connections: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const got = Buffer.concat(chunks).toString('utf8');
        if (req.url === '/chunked') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('{}');
        }
        const body = Buffer.from(
          JSON.stringify({
            got,
            type: req.headers['content-type'],
            pad: 'x'.repeat(req.url === '/big' ? 200_000 : 0),
          }),
        );
        const close = req.url === '/close';
        res.writeHead(req.url === '/missing' ? 404 : 200, {
          'content-length': String(body.length),
          ...(close ? { connection: 'close' } : {}),
        });
        res.end(body);
      });
    });
    server.on('connection', (socket) => connections.push(`${socket.remotePort}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the body and its type, reads status and JSON, and reuses one socket for sequential requests', async () => {
    const post = keepAlivePoster(new URL('/echo', base));
    const before = connections.length;
    for (const text of ['{"a":1}', '{"b":2}', '']) {
      const reply = await post(Buffer.from(text), 'application/json');
      expect(reply).toEqual({ status: 200, body: { got: text, type: 'application/json', pad: '' } });
    }
    expect(connections.length - before).toBe(1);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    for (let i = 0; i < 20; i++) await post(Buffer.from('{}'), 'application/json'); // no listener piles up
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings).toEqual([]);
    const concurrent = await Promise.all([1, 2, 3].map((i) => post(Buffer.from(`${i}`), 'text/plain')));
    expect(concurrent.map((r) => (r.body as { got: string }).got)).toEqual(['1', '2', '3']);
  });

  it('reads an answer spread over many packets, and any status', async () => {
    const big = await keepAlivePoster(new URL('/big', base))(Buffer.from('x'), 'text/plain');
    expect((big.body as { pad: string }).pad.length).toBe(200_000);
    expect((await keepAlivePoster(new URL('/missing', base))(Buffer.alloc(0), 'text/plain')).status).toBe(
      404,
    );
  });

  it('opens a new socket after the server said connection: close', async () => {
    const post = keepAlivePoster(new URL('/close', base));
    const before = connections.length;
    await post(Buffer.from('1'), 'text/plain');
    await post(Buffer.from('2'), 'text/plain');
    expect(connections.length - before).toBe(2);
  });

  it('refuses an answer without a content-length, naming the target', async () => {
    await expect(keepAlivePoster(new URL('/chunked', base))(Buffer.from('1'), 'text/plain')).rejects.toThrow(
      /\/chunked: the answer has no content-length \(transfer-encoding: chunked\)/i,
    );
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close')).toEqual({
      status: 200,
      length: 12,
      close: true,
    });
    expect(parseHead('SSH-2.0')).toMatch(/not an HTTP\/1.x answer/);
  });

  it('rejects when the server is not there', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      keepAlivePoster(new URL(`http://127.0.0.1:${port}/x`))(Buffer.from('1'), 'text/plain'),
    ).rejects.toThrow(/connection closed before the answer ended/);
  });
});
