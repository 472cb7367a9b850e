import { projectFeeReports, usageTotals } from '@stoa/sdk';
import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { feesLines } from '../lib/fees-table.js';
import { table } from '../lib/output.js';
import { projectChain } from '../lib/project-chain.js';
import { DESCRIPTIONS } from './descriptions.js';

/**
 * `stoa usage`: what the gateway metered, per key, model, network and node; and, for each
 * deployment paying its nodes through a FeeEscrow, metered / claimed / finalized / paid per node.
 */
export const usage = stoaCommand({
  name: 'usage',
  description: DESCRIPTIONS.usage,
  args: {
    key: { type: 'string', description: 'only this key (id or prefix)' },
    since: { type: 'string', description: 'from this date (ISO 8601, default: the start of this month)' },
  },
  async run(args, out) {
    const now = new Date();
    const since = args.since
      ? new Date(args.since)
      : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    if (Number.isNaN(since.getTime()))
      throw new CliError(`--since must be a date, got '${args.since}'`, EXIT.usage);
    const ctx = await openProject(out, args.cwd);
    try {
      let keyId: string | undefined;
      if (args.key) {
        const row = await ctx.db.apiKey.findFirst({
          where: { OR: [{ id: args.key }, { prefix: args.key }] },
        });
        if (!row) throw new CliError(`no key with id or prefix '${args.key}'`, EXIT.notFound);
        keyId = row.id;
      }
      const keys = new Map((await ctx.db.apiKey.findMany()).map((k) => [k.id, k.prefix]));
      const rows = await usageTotals(ctx.db, { since, ...(keyId ? { keyId } : {}) });
      const project = await ctx.db.project.findUnique({ where: { name: ctx.project.config.name } });
      const chain = await projectChain(ctx);
      const fees = project && chain ? await projectFeeReports(ctx.db, project.id, chain) : [];
      out.result({ since, usage: rows, fees }, () => [
        ...(rows.length === 0
          ? [`no usage since ${since.toISOString().slice(0, 10)}`]
          : table([
              ['KEY', 'MODEL', 'NETWORK', 'NODE', 'REQUESTS', 'ERRORS', 'MEAN MS', 'COST WEI'],
              ...rows.map((r) => [
                r.keyId ? (keys.get(r.keyId) ?? r.keyId) : '-',
                r.modelId.slice(0, 10),
                r.network || '-',
                r.node ? r.node.slice(0, 10) : '-',
                String(r.requests),
                String(r.errors),
                r.meanLatencyMs.toFixed(1),
                r.costWei,
              ]),
            ])),
        ...feesLines(fees),
      ]);
    } finally {
      await ctx.close();
    }
  },
});
