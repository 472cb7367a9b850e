'use client';
import { useQuery } from '@tanstack/react-query';
import { QueryState } from './status';
import { useTRPC } from './trpc';

const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

/** Live quotes from every configured network side by side, and the planner's placements. */
export function Quotes() {
  const trpc = useTRPC();
  const plan = useQuery({ ...trpc.deployment.plan.queryOptions(), staleTime: 30_000 });
  return (
    <section aria-label="Quotes and plan">
      <div className="row">
        <h2>1. Networks and quotes</h2>
        <button type="button" className="secondary" onClick={() => plan.refetch()} disabled={plan.isFetching}>
          {plan.isFetching ? 'Quoting…' : 'Refresh quotes'}
        </button>
      </div>
      <QueryState error={plan.error} loading={plan.isPending}>
        <div className="cards quotes">
          {plan.data?.quotes.map((q) => (
            <section key={q.networkIndex} className="panel" aria-label={`Quotes from ${q.network}`}>
              <h3>{q.network}</h3>
              {q.error ? <p className="error">{q.error}</p> : null}
              <ul>
                {q.offers.map((o, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: offers have no id of their own
                  <li key={i}>
                    {o.gpuCount}× {o.gpu} · {usd(o.pricePerHourUsd)}/h
                    {o.provider ? ` · ${o.provider}` : ''}
                    {o.region ? ` · ${o.region}` : ''}
                    {o.available !== undefined ? ` · ${o.available} free` : ''}
                    {JSON.stringify(q.best) === JSON.stringify(o) ? <strong> (best)</strong> : null}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
        <h2>2. Budget and plan</h2>
        {plan.data ? (
          <>
            <p>
              Planned cost {usd(plan.data.perHourUsd)}/h of a {usd(plan.data.budget.maxPerHour)}/h budget
              {plan.data.budget.maxTotal ? ` (${usd(plan.data.budget.maxTotal)} in total)` : ''}.
            </p>
            <ul>
              {plan.data.placements.map((p) => (
                <li key={p.networkIndex}>
                  {p.replicas} replica{p.replicas === 1 ? '' : 's'} on {p.network} at{' '}
                  {usd(p.quote.pricePerHourUsd)}/h: {p.reason}
                </li>
              ))}
              {plan.data.decisions.map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ul>
          </>
        ) : null}
      </QueryState>
    </section>
  );
}
