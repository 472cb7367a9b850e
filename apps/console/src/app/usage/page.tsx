'use client';
import type { UsagePoint } from '@stoa/sdk';
import { useQuery } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import { useState } from 'react';
import { ScrollTable } from '../../client/scroll-table';
import { QueryState } from '../../client/status';
import { useTRPC } from '../../client/trpc';
import type { ChartRow } from '../../client/usage-chart';
import { FeesSection } from './fees';

const UsageChart = dynamic(() => import('../../client/usage-chart'), {
  ssr: false,
  loading: () => <p>Loading the chart…</p>,
});

const DIMENSIONS = {
  key: { label: 'API key', of: (p: UsagePoint) => p.keyName ?? p.keyId ?? 'no key' },
  model: { label: 'Model', of: (p: UsagePoint) => `${p.modelId.slice(0, 10)}…` },
  network: { label: 'Network', of: (p: UsagePoint) => p.network },
} as const;
type Dimension = keyof typeof DIMENSIONS;

const RANGES = [
  { minutes: 15, bucketSeconds: 15, label: 'last 15 minutes' },
  { minutes: 60, bucketSeconds: 60, label: 'last hour' },
  { minutes: 24 * 60, bucketSeconds: 900, label: 'last day' },
] as const;

const ether = (wei: bigint) => `${(Number(wei) / 1e18).toFixed(9)} ETH`;

/** Pivots the points into one row per bucket with a column per series, plus the totals per series. */
function pivot(points: readonly UsagePoint[], dimension: Dimension) {
  const of = DIMENSIONS[dimension].of;
  const rows = new Map<number, Record<string, number>>();
  const totals = new Map<string, { requests: number; errors: number; wei: bigint }>();
  for (const p of points) {
    const s = of(p);
    const row = rows.get(p.t) ?? { t: p.t };
    row[s] = (row[s] ?? 0) + p.requests;
    rows.set(p.t, row);
    const total = totals.get(s) ?? { requests: 0, errors: 0, wei: 0n };
    totals.set(s, {
      requests: total.requests + p.requests,
      errors: total.errors + p.errors,
      wei: total.wei + BigInt(p.costWei),
    });
  }
  const series = [...totals.keys()];
  const filled = [...rows.values()]
    .sort((a, b) => a.t! - b.t!)
    .map((r) => Object.fromEntries([['t', r.t], ...series.map((s) => [s, r[s] ?? 0])]) as ChartRow);
  return { rows: filled, series, totals };
}

export default function Usage() {
  const trpc = useTRPC();
  const [range, setRange] = useState(0);
  const [dimension, setDimension] = useState<Dimension>('key');
  const { minutes, bucketSeconds } = RANGES[range]!;
  const usage = useQuery({
    ...trpc.usage.series.queryOptions({ minutes, bucketSeconds }),
    refetchInterval: 5_000,
  });
  const { rows, series, totals } = pivot(usage.data ?? [], dimension);
  return (
    <>
      <h1>Usage</h1>
      <div className="row">
        <label>
          Period{' '}
          <select value={range} onChange={(e) => setRange(Number(e.target.value))}>
            {RANGES.map((r, i) => (
              <option key={r.label} value={i}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Per{' '}
          <select value={dimension} onChange={(e) => setDimension(e.target.value as Dimension)}>
            {Object.entries(DIMENSIONS).map(([id, d]) => (
              <option key={id} value={id}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <QueryState error={usage.error} loading={usage.isPending}>
        {rows.length === 0 ? (
          <p>No metered requests in this period: call the gateway with an API key (try the Playground).</p>
        ) : (
          <>
            <h2>Requests per {DIMENSIONS[dimension].label.toLowerCase()}</h2>
            <UsageChart
              rows={rows}
              series={series}
              label={`Requests per ${DIMENSIONS[dimension].label} over time`}
            />
            <ScrollTable label="Usage totals">
              <table>
                <caption>Totals, {RANGES[range]!.label}</caption>
                <thead>
                  <tr>
                    <th scope="col">{DIMENSIONS[dimension].label}</th>
                    <th scope="col">Requests</th>
                    <th scope="col">Errors</th>
                    <th scope="col">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {[...totals].map(([s, t]) => (
                    <tr key={s}>
                      <td className="mono">{s}</td>
                      <td data-testid="usage-requests">{t.requests}</td>
                      <td>{t.errors}</td>
                      <td>{ether(t.wei)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
          </>
        )}
      </QueryState>
      <FeesSection />
    </>
  );
}
