import { connect, type Socket } from 'node:net';

/** What the server answered: the status and the body parsed as JSON. */
export interface PostReply {
  readonly status: number;
  readonly body: unknown;
}

/** Idle sockets are closed after this, before the node's 5 s keep-alive timeout. */
const IDLE_MS = 4_000;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * The load generator's HTTP/1.1 client: POSTs to one target over raw keep-alive TCP sockets,
 * one request at a time per socket (no pipelining), as many sockets as requests in flight. Each
 * request is one `write` of its head and body, encoded here (the head's constant part once);
 * each answer is read by its `content-length` and parsed as JSON, and its status returned.
 * It is measurement apparatus: on the bench's two cores every cycle node:http's client spends
 * building request objects, parsing with llhttp and emitting stream events is taken from the
 * node it measures (docs/decisions.md, "The node keeps up, session 28"). Answers it cannot read
 * (chunked, no length, not JSON) reject; a socket the server closes is dropped, never reused.
 */
export function keepAlivePoster(target: URL): (body: Buffer, contentType: string) => Promise<PostReply> {
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1'); // an IPv6 literal without brackets
  const port = Number(target.port || 80);
  const headOf = new Map<string, string>();
  const idle: Socket[] = [];

  const open = (): Socket => {
    const socket = connect({ host, port, noDelay: true });
    socket.on('error', () => socket.destroy()); // a request in flight hears of it through 'close'
    socket.on('timeout', () => socket.destroy()); // idle for IDLE_MS (the timer runs only while idle)
    socket.on('close', () => {
      const at = idle.indexOf(socket);
      if (at !== -1) idle.splice(at, 1);
    });
    return socket;
  };

  return (body, contentType) =>
    new Promise((resolve, reject) => {
      const socket = idle.pop() ?? open();
      socket.setTimeout(0);
      let head = headOf.get(contentType);
      if (head === undefined) {
        head = `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: ${contentType}\r\ncontent-length: `;
        headOf.set(contentType, head);
      }
      const prefix = Buffer.from(`${head}${body.length}\r\n\r\n`, 'latin1');
      const chunks: Buffer[] = [];
      let size = 0;
      let bodyAt = -1;
      let length = -1;
      let status = 0;
      let close = false;
      const done = (error?: Error, reply?: PostReply) => {
        socket.off('data', onData);
        socket.off('close', onClose);
        if (error || close) socket.destroy();
        else {
          socket.setTimeout(IDLE_MS);
          idle.push(socket);
        }
        if (error) reject(error);
        else resolve(reply!);
      };
      const onClose = () => done(new Error(`${target.href}: the connection closed before the answer ended`));
      const onData = (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        const all = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
        if (chunks.length > 1) chunks.splice(0, chunks.length, all);
        if (bodyAt === -1) {
          const end = all.indexOf(HEADER_END);
          if (end === -1) return;
          const parsed = parseHead(all.toString('latin1', 0, end));
          if (typeof parsed === 'string') return done(new Error(`${target.href}: ${parsed}`));
          ({ status, length, close } = parsed);
          bodyAt = end + HEADER_END.length;
        }
        if (size < bodyAt + length) return;
        if (size > bodyAt + length) return done(new Error(`${target.href}: bytes after the answer's body`));
        try {
          done(undefined, { status, body: JSON.parse(all.toString('utf8', bodyAt)) });
        } catch (error) {
          done(new Error(`${target.href}: the answer is not JSON: ${(error as Error).message}`));
        }
      };
      socket.on('data', onData);
      socket.on('close', onClose);
      socket.write(body.length > 0 ? Buffer.concat([prefix, body], prefix.length + body.length) : prefix);
    });
}

/** The status, body length and `connection: close` of a response head, or why it cannot be read. */
export function parseHead(head: string): { status: number; length: number; close: boolean } | string {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!status) return `not an HTTP/1.x answer: '${head.slice(0, 32)}'`;
  const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (!length)
    return `the answer has no content-length (${/\r\ntransfer-encoding:[^\r]*/i.exec(head)?.[0]?.trim() ?? 'none'})`;
  return {
    status: Number(status[1]),
    length: Number(length[1]),
    close: /\r\nconnection:[ \t]*close/i.test(head) || head.startsWith('HTTP/1.0'),
  };
}
