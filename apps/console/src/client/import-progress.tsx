'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTRPC } from './trpc';

const PHASES = {
  import: 'Importing and calibrating',
  compare: 'Comparing integer with float',
  evaluate: 'Measuring accuracy',
  store: 'Storing the artifact',
} as const;
const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Polls one model import and shows its phase, progress and, when done, what it produced. */
export function ImportProgress({ jobId }: { jobId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const job = useQuery({
    ...trpc.model.importStatus.queryOptions({ jobId }),
    refetchInterval: (q) => (q.state.data?.state === 'running' ? 500 : false),
  });
  const state = job.data?.state;
  useEffect(() => {
    if (state === 'done') void queryClient.invalidateQueries({ queryKey: trpc.model.list.queryKey() });
  }, [state, queryClient, trpc]);
  if (job.error)
    return (
      <p role="alert" className="error">
        {job.error.message}
      </p>
    );
  if (!job.data) return <p aria-live="polite">Starting the import…</p>;
  const { progress, result, error } = job.data;
  return (
    <section className="panel" aria-live="polite" aria-label={`Import of ${job.data.name}`}>
      {state === 'running' ? (
        <>
          <p>
            {PHASES[progress.phase]}: {progress.done} / {progress.total}
          </p>
          <progress max={progress.total} value={progress.done} aria-label={PHASES[progress.phase]} />
        </>
      ) : null}
      {state === 'failed' ? (
        <p role="alert" className="error">
          Import failed: {error}
        </p>
      ) : null}
      {result ? (
        <dl>
          <dt>modelId</dt>
          <dd className="mono">{result.modelId}</dd>
          <dt>weightsRoot</dt>
          <dd className="mono">{result.weightsRoot}</dd>
          <dt>Top-class agreement, integer vs float (calibration samples)</dt>
          <dd>{percent(result.agreement)}</dd>
          {result.floatAccuracy !== undefined ? (
            <>
              <dt>Accuracy on {result.evalCount} labelled samples</dt>
              <dd>
                float {percent(result.floatAccuracy)}, integer {percent(result.intAccuracy!)}
              </dd>
            </>
          ) : null}
        </dl>
      ) : null}
    </section>
  );
}
