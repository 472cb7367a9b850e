'use client';
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface ChartRow {
  readonly t: number;
  readonly [series: string]: number;
}

const COLORS = ['#0b5cad', '#a4161a', '#1b6b35', '#7a4b00', '#5b2a86', '#00606b'];
const clock = (t: number) => new Date(t).toISOString().slice(11, 19);

/**
 * Stacked areas of one measure per series over time (recharts, loaded lazily by the page). The
 * page gives the same numbers as a table beside it, for screen readers and keyboards.
 */
export default function UsageChart({
  rows,
  series,
  label,
}: {
  rows: readonly ChartRow[];
  series: readonly string[];
  label: string;
}) {
  return (
    <figure className="chart" aria-label={label}>
      <ResponsiveContainer width="100%" height={240}>
        <AreaChart data={[...rows]} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={clock} />
          <YAxis allowDecimals={false} width={56} />
          <Tooltip labelFormatter={(t) => clock(Number(t))} />
          <Legend />
          {series.map((s, i) => (
            <Area
              key={s}
              type="stepAfter"
              dataKey={s}
              stackId="1"
              stroke={COLORS[i % COLORS.length]}
              fill={COLORS[i % COLORS.length]}
              fillOpacity={0.25}
              isAnimationActive={false}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </figure>
  );
}
