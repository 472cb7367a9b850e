'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { QueryState } from '../client/status';
import { useTRPC } from '../client/trpc';

export default function Overview() {
  const trpc = useTRPC();
  const who = useQuery(trpc.session.whoami.queryOptions());
  return (
    <>
      <h1>Overview</h1>
      <QueryState error={who.error} loading={who.isPending}>
        <p>
          Project <strong>{who.data?.project}</strong>, signed in as {who.data?.email}
          {who.data?.via === 'loopback' ? ' (loopback: no login needed)' : ''}.
        </p>
      </QueryState>
      <ul className="cards">
        <li>
          <Link href="/models">Models</Link>: import ONNX, see the hypergraph
        </li>
        <li>
          <Link href="/deploy">Deploy</Link>: live quotes and the plan
        </li>
        <li>
          <Link href="/deployments">Deployments</Link>: replicas, health, logs, teardown
        </li>
        <li>
          <Link href="/keys">API keys</Link>: create, limits, revoke
        </li>
      </ul>
    </>
  );
}
