/** Runs `fn` repeatedly for at least `minMs` (after one warm-up call) and returns ms per call. */
export function timePerCall(fn: () => void, minMs = 400): number {
  fn();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs || calls < 3) {
    fn();
    calls++;
    elapsed = performance.now() - start;
  }
  return elapsed / calls;
}

export function formatRate(perSecond: number): string {
  const units = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const;
  for (const [scale, unit] of units)
    if (perSecond >= scale) return `${(perSecond / scale).toFixed(2)} ${unit}`;
  return perSecond.toFixed(2);
}

export function printTable(rows: readonly Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line(keys));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(keys.map((k) => String(row[k]))));
}

/**
 * Times two async calls alternately — a, b, a, b, … for at least `minMs` — and returns each
 * one's median ms per call. On a machine shared with other work, both see the same moments of
 * contention, and the median ignores the calls a descheduling stretched.
 */
export async function medianPair(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  minMs: number,
): Promise<[number, number]> {
  await a();
  await b();
  const times: [number[], number[]] = [[], []];
  const start = performance.now();
  while (performance.now() - start < minMs || times[0].length < 5) {
    for (const [i, fn] of [a, b].entries()) {
      const t = performance.now();
      await fn();
      times[i]!.push(performance.now() - t);
    }
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
  return [median(times[0]), median(times[1])];
}
