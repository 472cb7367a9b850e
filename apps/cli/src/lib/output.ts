import { CliError, EXIT } from './exit-codes.js';

/**
 * One output per command: with `--json` a single JSON document on stdout (progress goes to
 * stderr as JSON lines), else readable text within 80 columns with progress on stdout.
 */
export class Output {
  constructor(readonly json: boolean) {}

  /** A progress line: `… what` then `✔ what: detail (1.2 s)`. */
  progress(event: 'start' | 'done' | 'skipped' | 'decision' | 'info', what: string, detail?: string): void {
    if (this.json) {
      process.stderr.write(
        `${JSON.stringify({ progress: event, step: what, ...(detail ? { detail } : {}) })}\n`,
      );
      return;
    }
    const mark = { start: '…', done: '✔', skipped: '↷', decision: '→', info: ' ' }[event];
    process.stdout.write(`${wrap(`  ${mark} ${what}${detail ? `: ${detail}` : ''}`, '      ').join('\n')}\n`);
  }

  /** The command's result: the JSON document, or the lines `human` renders. */
  result(value: unknown, human: () => string[]): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value, bigints, 2)}\n`);
    else
      for (const line of human().flatMap((l) => l.split('\n')))
        process.stdout.write(`${wrap(line, '    ').join('\n')}\n`);
  }

  fail(error: unknown): never {
    const code = exitCodeOf(error);
    const message = (error as Error).message ?? String(error);
    if (this.json) process.stdout.write(`${JSON.stringify({ error: { message, exitCode: code } })}\n`);
    else process.stderr.write(`stoa: ${message}\n`);
    process.exit(code);
  }
}

/** Breaks a line longer than `width` at spaces (or anywhere, for long words), indenting the rest. */
export function wrap(line: string, indent: string, width = 80): string[] {
  const lines: string[] = [];
  let rest = line;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= indent.length) cut = width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}

const bigints = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  const name = (error as Error)?.name;
  if (name === 'ConfigError') return EXIT.config;
  if (name === 'BudgetError') return EXIT.budget;
  if (/no stoa\.config\.ts found/.test((error as Error)?.message ?? '')) return EXIT.config;
  return EXIT.failure;
}

/**
 * A table that fits 80 columns: each column as wide as its widest cell; the widest columns but
 * the first are cut with … when needed.
 */
export function table(rows: string[][], width = 80): string[] {
  if (rows.length === 0) return [];
  const cols = rows[0]!.length;
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  let total = widths.reduce((a, b) => a + b + 2, 0);
  // The first column names the row (a key's prefix, a replica, a dispute): it is never cut.
  while (total > width) {
    const rest = widths.slice(1);
    const widest = 1 + rest.indexOf(Math.max(...rest));
    if (widths[widest]! <= 4) break;
    widths[widest]! -= 1;
    total -= 1;
  }
  const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  return rows.map((r) =>
    r
      .map((cell, c) => cut(cell ?? '', widths[c]!))
      .join('  ')
      .trimEnd(),
  );
}
