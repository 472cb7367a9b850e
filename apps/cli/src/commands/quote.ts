import type { Plan } from '@stoa/sdk';
import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { table } from '../lib/output.js';
import { DESCRIPTIONS } from './descriptions.js';

/** Every network's offers side by side, with the plan's pick marked. */
export function quoteTable(plan: Plan): string[] {
  const rows = [['NETWORK', 'GPU', 'REGION', 'PROVIDER', '$/HOUR', 'PICK']];
  for (const q of plan.quotes) {
    if (q.offers.length === 0) rows.push([q.network, '-', '-', '-', '-', `unavailable: ${q.error}`]);
    for (const o of q.offers) {
      const picked = plan.placements.some(
        (p) =>
          p.quote.adapter === o.adapter &&
          p.quote.pricePerHourUsd === o.pricePerHourUsd &&
          p.quote.provider === o.provider,
      );
      rows.push([
        q.network,
        `${o.gpuCount > 1 ? `${o.gpuCount}× ` : ''}${o.gpu}`,
        o.region ?? '-',
        o.provider ?? '-',
        o.pricePerHourUsd.toFixed(4),
        picked ? '✔' : '',
      ]);
    }
  }
  return table(rows);
}

export function planLines(plan: Plan): string[] {
  return [
    ...plan.placements.map(
      (p) =>
        `  ${p.replicas} replica(s) on ${p.network} at $${p.quote.pricePerHourUsd.toFixed(4)}/h each${p.reason === 'configured' ? '' : ` (${p.reason})`}`,
    ),
    ...plan.decisions.map((d) => `  decision: ${d}`),
    `  total $${plan.perHourUsd.toFixed(4)}/h; budget $${plan.budget.maxPerHour}/h${plan.budget.maxTotal ? `, $${plan.budget.maxTotal} in total` : ''}: within budget`,
  ];
}

export const quote = stoaCommand({
  name: 'quote',
  description: DESCRIPTIONS.quote,
  async run(args, out) {
    const ctx = await openProject(out, args.cwd);
    try {
      out.progress('start', `asking ${ctx.project.config.networks.length} network(s) for quotes`);
      const plan = await ctx.engine().plan();
      out.result(plan, () => [...quoteTable(plan), '', 'plan:', ...planLines(plan)]);
    } finally {
      await ctx.close();
    }
  },
});
