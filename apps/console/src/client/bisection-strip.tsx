import type { BisectionRound } from '@stoa/sdk';

/**
 * The bisection interval after each pick, drawn over the whole trace: one row per round, the
 * steps still in dispute filled. Its numbers are in the rounds table beside it.
 */
export function BisectionStrip({
  span,
  rounds,
}: {
  span: { lo: number; hi: number };
  rounds: readonly BisectionRound[];
}) {
  const trace = rounds.filter((r) => r.phase === 'trace');
  const width = Math.max(1, span.hi - span.lo);
  const rowHeight = 14;
  return (
    <svg
      className="strip"
      viewBox={`0 0 100 ${(trace.length + 1) * rowHeight}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={`Steps in dispute after each of ${trace.length} rounds, narrowing from ${span.lo}–${span.hi - 1}${trace.length ? ` to ${trace.at(-1)!.lo}–${trace.at(-1)!.hi - 1}` : ''}`}
    >
      <rect x={0} y={2} width={100} height={rowHeight - 4} className="strip-all" />
      {trace.map((r, i) => (
        <rect
          key={`${r.txHash}-${r.lo}`}
          x={((r.lo - span.lo) / width) * 100}
          y={(i + 1) * rowHeight + 2}
          width={Math.max(0.6, ((Math.min(r.hi, span.hi) - r.lo) / width) * 100)}
          height={rowHeight - 4}
          className="strip-pick"
        />
      ))}
    </svg>
  );
}
