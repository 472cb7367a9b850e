import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { DESCRIPTIONS } from './descriptions.js';
import { activeDeployment, networkIndexOf, recordOf } from './status.js';

export const logs = stoaCommand({
  name: 'logs',
  description: DESCRIPTIONS.logs,
  args: {
    follow: { type: 'boolean', alias: 'f', description: 'keep printing new lines', default: false },
    replica: { type: 'string', description: 'only this replica (see stoa status)' },
    tail: { type: 'string', description: 'last N lines per replica', default: '100' },
  },
  async run(args, out) {
    const tail = Number(args.tail);
    if (!/^\d+$/.test(args.tail.trim()) || !Number.isSafeInteger(tail))
      throw new CliError(`--tail must be a whole number of lines, got '${args.tail}'`, EXIT.usage);
    const ctx = await openProject(out, args.cwd);
    try {
      const { replicas } = await activeDeployment(ctx);
      const chosen = replicas.filter(
        (r) => r.state === 'running' && (!args.replica || r.adapterId === args.replica),
      );
      if (chosen.length === 0)
        throw new CliError(
          `no running replica${args.replica ? ` named '${args.replica}'` : ''}`,
          EXIT.notFound,
        );
      const lines: { replica: string; stream: string; line: string; ts?: string }[] = [];
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      await Promise.all(
        chosen.map(async (row) => {
          const record = await recordOf(ctx.db, row.adapterId);
          if (!record) return;
          const adapter = await ctx.engine().adapter(networkIndexOf(row));
          for await (const l of adapter.logs(record, {
            follow: args.follow,
            tail,
            signal: controller.signal,
          })) {
            const entry = {
              replica: row.adapterId,
              stream: l.stream,
              line: l.line,
              ...(l.ts ? { ts: l.ts } : {}),
            };
            if (args.follow && !args.json) process.stdout.write(`${row.adapterId} | ${l.line}\n`);
            else lines.push(entry);
          }
        }),
      );
      // Log lines pass through unwrapped: they are the nodes' own (often JSON) lines.
      if (args.json) out.result({ lines }, () => []);
      else for (const l of lines) process.stdout.write(`${l.replica} | ${l.line}\n`);
    } finally {
      await ctx.close();
    }
  },
});
