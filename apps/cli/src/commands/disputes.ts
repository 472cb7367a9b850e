import { defineCommand } from 'citty';
import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { table } from '../lib/output.js';
import { DESCRIPTIONS } from './descriptions.js';

const list = stoaCommand({
  name: 'list',
  description: 'disputes over claims of this project (from the database index)',
  async run(args, out) {
    const ctx = await openProject(out, args.cwd);
    try {
      const rows = await ctx.db.dispute.findMany({ include: { claim: true }, orderBy: { openedAt: 'desc' } });
      const disputes = rows.map((d) => ({
        id: d.id,
        gameId: d.gameId,
        claimId: d.claim.claimId,
        node: d.claim.node,
        challenger: d.challenger,
        state: d.state,
        outcome: d.outcome,
      }));
      out.result({ disputes }, () =>
        disputes.length === 0
          ? ['no disputes']
          : table([
              ['ID', 'CLAIM', 'NODE', 'STATE', 'OUTCOME'],
              ...disputes.map((d) => [d.id.slice(0, 8), d.claimId, d.node, d.state, d.outcome ?? '-']),
            ]),
      );
    } finally {
      await ctx.close();
    }
  },
});

const show = stoaCommand({
  name: 'show',
  description: 'one dispute in full',
  args: { id: { type: 'positional', description: 'dispute id (or its first characters)', required: true } },
  async run(args, out) {
    const ctx = await openProject(out, args.cwd);
    try {
      const row = await ctx.db.dispute.findFirst({
        where: { id: { startsWith: args.id } },
        include: { claim: true },
      });
      if (!row) throw new CliError(`no dispute '${args.id}'`, EXIT.notFound);
      out.result(row, () =>
        Object.entries(row)
          .filter(([k]) => k !== 'claim')
          .map(([k, v]) => `${k.padEnd(12)} ${String(v)}`),
      );
    } finally {
      await ctx.close();
    }
  },
});

export const disputes = defineCommand({
  meta: { name: 'disputes', description: DESCRIPTIONS.disputes },
  subCommands: { list, show },
});
