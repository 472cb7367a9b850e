import { writeSync } from 'node:fs';

/** Structured logs: one JSON object per line on stdout (errors on stderr), easy to ship and grep. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Lines are gathered and written once per turn of the event loop: under load a line per request
 * was one pipe write each, about a tenth of the node's CPU (BENCHMARKS.md, issue 14). Whatever
 * is still gathered when the process exits is written synchronously then.
 */
export function jsonLogger(base: Record<string, unknown> = {}): Logger {
  const pending: Record<1 | 2, string[]> = { 1: [], 2: [] };
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const fd of [1, 2] as const) {
      if (pending[fd].length === 0) continue;
      const text = pending[fd].join('');
      pending[fd] = [];
      (fd === 1 ? process.stdout : process.stderr).write(text);
    }
  };
  process.once('exit', () => {
    for (const fd of [1, 2] as const) if (pending[fd].length > 0) writeSync(fd, pending[fd].join(''));
  });
  return {
    log(level, msg, fields = {}) {
      const entry = { time: new Date().toISOString(), level, msg, ...base, ...fields };
      const line = stringify(entry);
      pending[level === 'error' ? 2 : 1].push(`${line}\n`);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
}

/**
 * JSON text of a log entry, bigints as decimals. Plain JSON.stringify first: a replacer
 * function is called for every value, and most lines (a request's) hold no bigint; one that
 * does makes it throw a TypeError, and is written with the replacer instead.
 */
function stringify(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(entry);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(entry, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
}
