'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { CreatedKey } from './created-key';
import { useTRPC } from './trpc';

/** Starts the deploy engine and shows its steps and failover decisions as they happen. */
export function DeployRun() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const progress = useQuery({
    ...trpc.deployment.progress.queryOptions(),
    refetchInterval: (q) => (q.state.data?.state === 'running' ? 1_000 : false),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.deployment.progress.queryKey() });
  const start = useMutation(trpc.deployment.start.mutationOptions({ onSuccess: refresh }));
  const takeKey = useMutation(trpc.deployment.takeKey.mutationOptions({ onSuccess: refresh }));
  const models = useQuery(trpc.deployment.deployableModels.queryOptions());
  const [model, setModel] = useState('');
  const run = progress.data;
  return (
    <section aria-label="Deploy">
      <h2>4. Deploy</h2>
      <p className="muted">
        Deploys the model of stoa.config.ts, or a model imported on the Models page in its place, with the
        plan above (the same engine as `stoa deploy`).
      </p>
      <div className="row">
        <label htmlFor="deploy-model">Model</label>
        <select id="deploy-model" value={model} onChange={(e) => setModel(e.target.value)}>
          <option value="">the model of stoa.config.ts</option>
          {(models.data ?? []).map((m) => (
            <option key={m.name} value={m.name}>
              {m.name} ({m.modelId.slice(0, 10)}…)
            </option>
          ))}
        </select>
      </div>
      <button
        type="button"
        onClick={() => start.mutate(model ? { model } : undefined)}
        disabled={start.isPending || run?.state === 'running'}
      >
        {run?.state === 'running' ? 'Deploying…' : 'Deploy'}
      </button>
      {start.error ? (
        <p role="alert" className="error">
          {start.error.message}
        </p>
      ) : null}
      {run ? (
        <div aria-live="polite">
          <p>
            Deploy started {run.startedAt.toISOString().slice(11, 19)}: {run.state}
            {run.error ? <span className="error"> — {run.error}</span> : null}
          </p>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard */}
          <pre className="logs" role="log" aria-label="Deploy progress" tabIndex={0}>
            {run.lines
              .map((l) => `${l.at.toISOString().slice(11, 19)} ${l.kind === 'decision' ? '⚑ ' : ''}${l.text}`)
              .join('\n')}
          </pre>
          {run.result ? <p>Endpoints: {run.result.endpoints.join(', ')}</p> : null}
          {run.newKey ? (
            <button type="button" onClick={() => takeKey.mutate()}>
              Show the new API key (once)
            </button>
          ) : null}
          {takeKey.data?.key ? <CreatedKey name="deploy key" secret={takeKey.data.key} /> : null}
        </div>
      ) : null}
    </section>
  );
}
