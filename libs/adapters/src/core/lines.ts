import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Lines of a readable stream, stopping when `signal` aborts. */
export async function* readLines(stream: Readable, signal?: AbortSignal): AsyncGenerator<string> {
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const onAbort = () => rl.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const line of rl) {
      if (signal?.aborted) return;
      yield line;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    rl.close();
  }
}

/** Lines a child prints on stdout; the child is killed when the consumer stops or `signal` aborts. */
export async function* childLines(child: ChildProcess, signal?: AbortSignal): AsyncGenerator<string> {
  const kill = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', kill, { once: true });
  try {
    if (child.stdout) yield* readLines(child.stdout, signal);
  } finally {
    signal?.removeEventListener('abort', kill);
    kill();
  }
}

/** Lines of a streaming HTTP response body (NDJSON or plain text). */
export async function* bodyLines(
  body: ReadableStream<Uint8Array> | null,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  if (!body) return;
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i = buf.indexOf('\n');
      while (i >= 0) {
        yield buf.slice(0, i);
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
      }
    }
    if (buf) yield buf;
  } catch (e) {
    if (!signal?.aborted) throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => {});
  }
}

/** Interleave several async iterables as their items arrive. */
export async function* mergeAsync<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) =>
    pending.set(
      i,
      its[i]!.next().then((r) => ({ i, r })),
    );
  its.forEach((_, i) => {
    pull(i);
  });
  try {
    while (pending.size) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) pending.delete(i);
      else {
        pull(i);
        yield r.value;
      }
    }
  } finally {
    await Promise.all(its.map((it) => it.return?.().catch(() => {})));
  }
}

/**
 * The data of server-sent events: `data:` lines joined by newlines, one item per event (an
 * event ends at a blank line); comments (`:`) and other fields are skipped.
 */
export async function* sseData(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let data: string[] = [];
  for await (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      if (data.length) yield data.join('\n');
      data = [];
    } else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
  }
  if (data.length) yield data.join('\n');
}
