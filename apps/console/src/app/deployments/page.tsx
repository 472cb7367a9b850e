'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { DeploymentLogs } from '../../client/deployment-logs';
import { ScrollTable } from '../../client/scroll-table';
import { QueryState } from '../../client/status';
import { useTRPC } from '../../client/trpc';

const time = (d: Date | null) => (d ? d.toISOString().slice(0, 19).replace('T', ' ') : '—');

export default function Deployments() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deployments = useQuery({ ...trpc.deployment.list.queryOptions(), refetchInterval: 5_000 });
  const [shown, setShown] = useState<string>();
  const teardown = useMutation(
    trpc.deployment.teardown.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.deployment.list.queryKey() }),
    }),
  );
  return (
    <>
      <h1>Deployments</h1>
      <QueryState error={deployments.error ?? teardown.error} loading={deployments.isPending}>
        {deployments.data?.length === 0 ? (
          <p>No deployments yet: start one from Deploy, or run `stoa deploy`.</p>
        ) : null}
        {deployments.data?.map((d) => (
          <section key={d.id} className="panel" aria-label={`Deployment ${d.name}`}>
            <h2>
              {d.name} <span className="muted">({d.state})</span>
            </h2>
            <dl>
              <dt>Model</dt>
              <dd className="mono">
                {d.model.name} {d.model.modelId.slice(0, 18)}…
              </dd>
              <dt>Endpoint</dt>
              <dd className="mono">{d.endpoint ?? '—'}</dd>
              <dt>Budget</dt>
              <dd>
                ${d.maxPerHourUsd}/h{d.maxTotalUsd ? `, $${d.maxTotalUsd} total` : ''}; spent $
                {d.spentUsd.toFixed(4)}
              </dd>
              {d.error ? (
                <>
                  <dt>Error</dt>
                  <dd className="error">{d.error}</dd>
                </>
              ) : null}
            </dl>
            <ScrollTable label="Replicas">
              <table>
                <caption className="muted">Replicas</caption>
                <thead>
                  <tr>
                    <th scope="col">Network</th>
                    <th scope="col">State</th>
                    <th scope="col">Healthy since</th>
                    <th scope="col">Endpoint</th>
                    <th scope="col">GPU</th>
                    <th scope="col">$/h</th>
                  </tr>
                </thead>
                <tbody>
                  {d.replicas.map((r) => (
                    <tr key={r.id}>
                      <td>{r.network}</td>
                      <td>{r.state}</td>
                      <td>{time(r.healthyAt)}</td>
                      <td className="mono">{r.endpoint ?? '—'}</td>
                      <td>{r.gpu}</td>
                      <td>{r.pricePerHourUsd.toFixed(4)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
            <div className="row">
              <button
                type="button"
                className="secondary"
                aria-expanded={shown === d.id}
                onClick={() => setShown(shown === d.id ? undefined : d.id)}
              >
                {shown === d.id ? 'Hide log' : 'Show log'}
              </button>
              {d.state !== 'torn-down' && !d.ownTeardown ? (
                <span className="muted">Run by `stoa dev`: Ctrl-C there stops it.</span>
              ) : null}
              {d.state !== 'torn-down' && d.ownTeardown ? (
                <button
                  type="button"
                  className="danger"
                  disabled={teardown.isPending}
                  onClick={() =>
                    window.confirm(`Tear down ${d.name}? Every replica is released.`) &&
                    teardown.mutate({ deploymentId: d.id })
                  }
                >
                  {teardown.isPending ? 'Tearing down…' : 'Tear down'}
                </button>
              ) : null}
            </div>
            {teardown.data && teardown.variables?.deploymentId === d.id ? (
              <p role="status">
                Torn down: {teardown.data.replicasTornDown.length} replica(s) released
                {teardown.data.replicasTornDown.length
                  ? ` (${teardown.data.replicasTornDown.join(', ')})`
                  : ''}
                ; stopped{' '}
                {teardown.data.servicesStopped.length
                  ? teardown.data.servicesStopped.join(' and ')
                  : 'no local service'}
                .
              </p>
            ) : null}
            {shown === d.id ? <DeploymentLogs deploymentId={d.id} /> : null}
          </section>
        ))}
      </QueryState>
    </>
  );
}
