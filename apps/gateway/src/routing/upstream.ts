import { connect, type Socket } from 'node:net';

/** What a replica answered: status and the whole body, unparsed. */
export interface UpstreamReply {
  readonly statusCode: number;
  readonly body: Buffer;
}

/** Idle sockets close after this unless the node names a shorter keep-alive (node:http: 5 s). */
const IDLE_MS = 4_000;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
/** Heads larger than this are refused (the node's are a few hundred bytes). */
const MAX_HEAD_BYTES = 16 * 1024;

interface Parsed {
  readonly status: number;
  /** Body bytes by content-length, or -1 for a chunked body. */
  readonly length: number;
  readonly close: boolean;
  /** The node's keep-alive timeout in ms (`keep-alive: timeout=N`), if it said. */
  readonly keepAliveMs?: number;
}

/**
 * The gateway's HTTP/1.1 client for inference requests to one replica: keep-alive TCP sockets,
 * one request at a time per socket, at most `maxSockets` open (more wait for one, in order).
 * Each request is one write of head and body (corked), and the answer is read by content-length
 * or chunked encoding into one Buffer. It replaces undici's `Pool.request` on the request path:
 * at one client the gateway's own CPU is most of its added latency, and undici's dispatcher,
 * handler objects, body stream and `.json()` cost about twice this per request
 * (docs/decisions.md, "The gateway's added latency at one client"). A request on a reused socket
 * that the node closed before answering (the keep-alive race) is sent once more on a new socket,
 * with fresh headers (a new signature); any other failure rejects, and the router fails over.
 */
export class UpstreamPool {
  private readonly host: string;
  private readonly port: number;
  private readonly authority: string;
  private readonly idle: Socket[] = [];
  private readonly waiting: (() => void)[] = [];
  private open = 0;
  private closed = false;
  private idleMs = IDLE_MS;

  constructor(
    origin: string,
    private readonly maxSockets = 64,
  ) {
    const url = new URL(origin);
    if (url.protocol !== 'http:') throw new Error(`replica url ${origin}: only http: is supported`);
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(url.port || 80);
    this.authority = url.host;
  }

  /**
   * POSTs `body` to `path`; `headers` is called for each send (a retried request is signed anew).
   * Rejects on a connection failure, a malformed answer, or no complete answer within `timeoutMs`.
   */
  async post(
    path: string,
    headers: () => Record<string, string>,
    body: Buffer,
    timeoutMs: number,
  ): Promise<UpstreamReply> {
    while (this.open >= this.maxSockets && this.idle.length === 0 && !this.closed)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.closed) throw new Error('the replica connection pool is closed');
    const reused = this.idle.pop();
    const socket = reused ?? this.connect();
    try {
      return await this.exchange(socket, path, headers(), body, timeoutMs);
    } catch (error) {
      if (!reused || !(error instanceof StaleSocket)) throw error;
      return this.exchange(this.connect(), path, headers(), body, timeoutMs);
    }
  }

  /** Closes every socket; requests in flight fail. */
  close(): void {
    this.closed = true;
    for (const socket of this.idle.splice(0)) socket.destroy();
    for (const wake of this.waiting.splice(0)) wake();
  }

  private connect(): Socket {
    this.open++;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('error', () => socket.destroy()); // a request in flight hears of it through 'close'
    socket.on('timeout', () => socket.destroy()); // idle too long (the timer runs only while idle)
    socket.once('close', () => {
      this.open--;
      const at = this.idle.indexOf(socket);
      if (at !== -1) this.idle.splice(at, 1);
      this.waiting.shift()?.();
    });
    return socket;
  }

  private release(socket: Socket, keep: boolean): void {
    if (!keep || this.closed) {
      socket.destroy(); // 'close' wakes a waiter
      return;
    }
    socket.setTimeout(this.idleMs);
    this.idle.push(socket);
    this.waiting.shift()?.();
  }

  private exchange(
    socket: Socket,
    path: string,
    headers: Record<string, string>,
    body: Buffer,
    timeoutMs: number,
  ): Promise<UpstreamReply> {
    return new Promise((resolve, reject) => {
      socket.setTimeout(0);
      // The answer's bytes so far, joined only when read (a large body arrives in many chunks).
      const parts: Buffer[] = [];
      let size = 0;
      const joined = () => {
        if (parts.length > 1) parts.splice(0, parts.length, Buffer.concat(parts, size));
        return parts[0]!;
      };
      let head: Parsed | undefined;
      let bodyAt = 0;
      let received = false;
      let failure: Error | undefined;
      const onError = (error: Error) => {
        failure = error;
      };
      const finish = (error: Error | undefined, reply?: UpstreamReply, keep = false) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.off('error', onError);
        this.release(socket, keep && !error);
        if (error) reject(error);
        else resolve(reply!);
      };
      const timer = setTimeout(
        () => finish(new Error(`no complete answer from ${this.authority}${path} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onClose = () => {
        const why = failure ? failure.message : 'the connection closed';
        finish(
          received
            ? new Error(`${this.authority}: ${why} before the answer ended`)
            : new StaleSocket(`${this.authority}: ${why} before an answer`),
        );
      };
      const onData = (chunk: Buffer) => {
        received = true;
        parts.push(chunk);
        size += chunk.length;
        if (!head) {
          const buffered = joined();
          const end = buffered.indexOf(HEADER_END);
          if (end === -1) {
            if (buffered.length > MAX_HEAD_BYTES)
              finish(new Error(`${this.authority}: answer head too large`));
            return;
          }
          const parsed = parseHead(buffered.toString('latin1', 0, end));
          if (typeof parsed === 'string') return finish(new Error(`${this.authority}: ${parsed}`));
          head = parsed;
          bodyAt = end + HEADER_END.length;
          if (parsed.keepAliveMs !== undefined) this.idleMs = Math.min(IDLE_MS, parsed.keepAliveMs - 1_000);
        }
        if (head.length >= 0 && size < bodyAt + head.length) return;
        const whole =
          head.length >= 0 ? fixedBody(joined(), bodyAt, head.length) : chunkedBody(joined(), bodyAt);
        if (whole === undefined) return;
        if (typeof whole === 'string') return finish(new Error(`${this.authority}: ${whole}`));
        finish(undefined, { statusCode: head.status, body: whole }, !head.close && this.idleMs > 0);
      };
      socket.on('data', onData);
      socket.on('close', onClose);
      socket.on('error', onError);
      let text = `POST ${path} HTTP/1.1\r\nhost: ${this.authority}\r\ncontent-length: ${body.length}\r\n`;
      for (const name in headers) text += `${name}: ${headers[name]}\r\n`;
      socket.cork();
      socket.write(`${text}\r\n`, 'latin1');
      if (body.length > 0) socket.write(body);
      socket.uncork();
    });
  }
}

/** A reused socket the node closed before any byte of the answer: safe to send again. */
class StaleSocket extends Error {}

/** The body when all of it has arrived, undefined while more is due, or what is wrong. */
function fixedBody(buffered: Buffer, at: number, length: number): Buffer | string | undefined {
  if (buffered.length < at + length) return undefined;
  if (buffered.length > at + length) return 'bytes after the answer';
  return buffered.subarray(at);
}

/** A chunked body decoded when its last chunk has arrived, undefined while more is due. */
function chunkedBody(buffered: Buffer, at: number): Buffer | string | undefined {
  const parts: Buffer[] = [];
  for (;;) {
    const lineEnd = buffered.indexOf('\r\n', at, 'latin1');
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(buffered.toString('latin1', at, lineEnd).split(';')[0]!, 16);
    if (!Number.isInteger(size) || size < 0) return 'a malformed chunk size';
    if (size === 0) {
      // Trailers are not expected: the body ends with the empty line after the last chunk.
      if (buffered.length < lineEnd + 4) return undefined;
      return Buffer.concat(parts);
    }
    const dataAt = lineEnd + 2;
    if (buffered.length < dataAt + size + 2) return undefined;
    parts.push(buffered.subarray(dataAt, dataAt + size));
    at = dataAt + size + 2;
  }
}

/** The status, body framing and keep-alive of a response head, or why it cannot be read. */
export function parseHead(head: string): Parsed | string {
  const status = /^HTTP\/1\.([01]) (\d{3})/.exec(head);
  if (!status) return `not an HTTP/1.x answer: '${head.slice(0, 32)}'`;
  const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
  const empty = status[2] === '204' || status[2] === '304';
  if (!length && !chunked && !empty) return 'the answer has neither a content-length nor a chunked body';
  const keepAlive = /\r\nkeep-alive:[^\r]*timeout=(\d+)/i.exec(head);
  return {
    status: Number(status[2]),
    length: chunked ? -1 : empty ? 0 : Number(length![1]),
    close: /\r\nconnection:[ \t]*close/i.test(head) || status[1] === '0',
    ...(keepAlive ? { keepAliveMs: Number(keepAlive[1]) * 1000 } : {}),
  };
}
