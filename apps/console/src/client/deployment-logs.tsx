'use client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { useTRPC } from './trpc';

interface LogLine {
  readonly id: string;
  readonly at: Date;
  readonly step: string;
  readonly outcome: string;
  readonly detail: string;
}

/** The deploy engine's log for one deployment, streamed while shown (server-sent events). */
export function DeploymentLogs({ deploymentId }: { deploymentId: string }) {
  const trpc = useTRPC();
  const [lines, setLines] = useState<LogLine[]>([]);
  const stream = useSubscription(
    trpc.deployment.logs.subscriptionOptions(
      { deploymentId },
      {
        onData: (line) =>
          setLines((known) => (known.some((l) => l.id === line.id) ? known : [...known, line])),
      },
    ),
  );
  return (
    <>
      {stream.error ? (
        <p role="alert" className="error">
          {stream.error.message}
        </p>
      ) : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard */}
      <pre className="logs" role="log" aria-label="Deployment log" tabIndex={0}>
        {lines.length
          ? lines
              .map((e) => `${e.at.toISOString()}  ${e.step.padEnd(10)} ${e.outcome.padEnd(8)} ${e.detail}`)
              .join('\n')
          : stream.status === 'connecting'
            ? 'Connecting…'
            : 'No events yet.'}
      </pre>
    </>
  );
}
