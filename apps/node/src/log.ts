/** Structured logs: one JSON object per line on stdout (errors on stderr), easy to ship and grep. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(base: Record<string, unknown> = {}): Logger {
  return {
    log(level, msg, fields = {}) {
      const line = JSON.stringify(
        { time: new Date().toISOString(), level, msg, ...base, ...fields },
        (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
      );
      (level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
    },
  };
}
