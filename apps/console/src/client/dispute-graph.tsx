'use client';
import type { BisectionRound } from '@stoa/sdk';
import { useQuery } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import { useState } from 'react';
import { useTRPC } from './trpc';

// React Flow and ELK load only when a dispute is shown on the hypergraph.
const HypergraphView = dynamic(() => import('./hypergraph-view'), {
  ssr: false,
  loading: () => <p>Loading the graph view…</p>,
});

/**
 * A dispute's bisection on the model's hypergraph: pick a round with the slider and the steps
 * still in dispute after it are marked on the graph, from the whole trace down to the one step
 * the one-step verdict re-executes.
 */
export function DisputeGraph({
  disputeId,
  modelId,
  span,
  rounds,
}: {
  disputeId: string;
  modelId: string;
  span: { lo: number; hi: number };
  rounds: readonly BisectionRound[];
}) {
  const trpc = useTRPC();
  const graph = useQuery(trpc.model.graph.queryOptions({ modelId }));
  const trace = rounds.filter((r) => r.phase === 'trace');
  const [round, setRound] = useState(trace.length);
  const interval = round === 0 ? span : trace[round - 1]!;
  const steps = graph.data?.steps.length ?? 0;
  const hi = Math.min(interval.hi, steps || interval.hi);
  return (
    <div className="dispute-graph">
      <label htmlFor={`round-${disputeId}`}>
        Round {round} of {trace.length}
      </label>{' '}
      <input
        id={`round-${disputeId}`}
        type="range"
        min={0}
        max={trace.length}
        value={round}
        onChange={(e) => setRound(Number(e.target.value))}
      />
      <p data-testid="graph-interval" aria-live="polite">
        {round === 0 ? 'Before the first pick' : `After round ${round}`}: steps {interval.lo}–{hi - 1} in
        dispute ({Math.max(0, hi - interval.lo)} of {steps || '…'} marked)
      </p>
      {graph.error ? (
        <p role="alert" className="error">
          {graph.error.message}
        </p>
      ) : graph.data ? (
        <HypergraphView view={graph.data} highlight={{ lo: interval.lo, hi }} />
      ) : (
        <p>Loading the graph view…</p>
      )}
    </div>
  );
}
