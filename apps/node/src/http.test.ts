import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Handler, type HttpServer, jsonDepth, MAX_JSON_DEPTH, startHttp } from './http.js';

const servers: HttpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.server.closeAllConnections();
    await new Promise((r) => s.server.close(r));
  }
});

async function serve(handler: Handler, extra: { maxInFlight?: number; maxConnections?: number } = {}) {
  const errors: string[] = [];
  const http = await startHttp(
    {
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1 << 20,
      maxConnections: extra.maxConnections ?? 64,
      maxInFlight: extra.maxInFlight ?? 8,
      limited: (method) => method === 'POST',
    },
    handler,
    (e) => errors.push(String(e)),
  );
  servers.push(http);
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { http, errors, url: `http://127.0.0.1:${port}`, port };
}

/** Sends raw bytes and resolves with what the server answered before closing (or after `waitMs`). */
function raw(port: number, bytes: string, waitMs = 2000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = (closed: boolean) => {
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', (d) => {
      text += d.toString();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      done(true);
    });
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

const echo: Handler = async (request) => ({ status: 200, body: await request.json() });

describe('the node’s HTTP layer', () => {
  it('counts a request against the in-flight cap before reading its body, and sheds the rest with 503', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let bodiesRead = 0;
    const { url } = await serve(
      async (request) => {
        await gate;
        bodiesRead++;
        return { status: 200, body: await request.json() };
      },
      { maxInFlight: 2 },
    );
    const post = () =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    const held = [post(), post()];
    await new Promise((r) => setTimeout(r, 200));
    const shed = await Promise.all(Array.from({ length: 5 }, post));
    for (const r of shed) {
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
    }
    expect(bodiesRead).toBe(0);
    release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    expect(bodiesRead).toBe(2);
    expect((await post()).status).toBe(200); // the cap frees up again
  });

  it('closes connections past its cap at once, so slow bodies cannot pile up', async () => {
    const { port, url } = await serve(echo, { maxConnections: 4 });
    const slow = Array.from({ length: 4 }, () =>
      raw(
        port,
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n[1,',
        1500,
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    const extra = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 1500);
    expect(extra).toEqual({ text: '', closed: true });
    expect((await Promise.all(slow)).every((s) => !s.closed)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(
      (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '1' }))
        .status,
    ).toBe(200);
  });

  it('answers every malformed request with a 400 naming the problem', async () => {
    const { url, port, errors } = await serve(echo);
    const post = (body: string, type = 'application/json') =>
      fetch(url, { method: 'POST', headers: { 'content-type': type }, body }).then(async (r) => ({
        status: r.status,
        error: ((await r.json()) as { error: string }).error,
      }));
    expect(await post(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toMatchObject({
      status: 400,
      error: expect.stringMatching(/nests 100000 levels deep/),
    });
    expect(await post(`{"a":${'{"b":'.repeat(40)}1${'}'.repeat(40)}}`)).toMatchObject({ status: 400 });
    expect(await post('{"inputs": [1, 2')).toMatchObject({
      status: 400,
      error: expect.stringMatching(/not valid JSON/),
    });
    expect(await post('{"a":1}', 'text/plain')).toMatchObject({
      status: 400,
      error: expect.stringMatching(/content-type must be application\/json, got 'text\/plain'/),
    });
    expect(await post('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')).toMatchObject({ status: 200 });
    const badTarget = await raw(port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(badTarget.text).toMatch(/^HTTP\/1\.1 400/);
    expect(badTarget.text).toContain('the request target is not a valid URL');
    expect(errors).toEqual([]);
  });

  it('puts no secret in an error response or the error log', async () => {
    const { url, errors } = await serve(async () => {
      throw new Error(
        'HTTP request failed. URL: https://user:pw@rpc.example.com/v3/SECRETKEY?apikey=SECRET2',
      );
    });
    const response = await fetch(url);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toMatch(/SECRET|pw@|rpc\.example/);
    expect(errors.join('\n')).toContain('https://rpc.example.com/<redacted>');
    expect(errors.join('\n')).not.toMatch(/SECRET|pw@/);
  });

  it('measures JSON depth outside strings only', () => {
    expect(jsonDepth('{"a":[1,{"b":"]]]{{{"}]}')).toBe(3);
    expect(jsonDepth('"\\"[[["')).toBe(0);
    expect(MAX_JSON_DEPTH).toBeGreaterThanOrEqual(8);
  });
});
