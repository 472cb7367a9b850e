'use client';
import { useQuery } from '@tanstack/react-query';
import { QueryState } from './status';
import { useTRPC } from './trpc';

/** The deploy engine's log for one deployment, refreshed every two seconds while shown. */
export function DeploymentLogs({ deploymentId }: { deploymentId: string }) {
  const trpc = useTRPC();
  const events = useQuery({
    ...trpc.deployment.events.queryOptions({ deploymentId }),
    refetchInterval: 2_000,
  });
  return (
    <QueryState error={events.error} loading={events.isPending}>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard */}
      <pre className="logs" role="log" aria-label="Deployment log" tabIndex={0}>
        {events.data?.length
          ? events.data
              .map((e) => `${e.at.toISOString()}  ${e.step.padEnd(10)} ${e.outcome.padEnd(8)} ${e.detail}`)
              .join('\n')
          : 'No events yet.'}
      </pre>
    </QueryState>
  );
}
