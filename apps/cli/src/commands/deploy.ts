import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { DESCRIPTIONS } from './descriptions.js';
import { planLines, quoteTable } from './quote.js';

export const deploy = stoaCommand({
  name: 'deploy',
  description: DESCRIPTIONS.deploy,
  args: {
    'dry-run': {
      type: 'boolean',
      description: 'print the plan with every quote; create nothing',
      default: false,
    },
  },
  async run(args, out) {
    const ctx = await openProject(out, args.cwd);
    try {
      const engine = ctx.engine();
      if (args['dry-run']) {
        out.progress('start', 'quoting every network (dry run: nothing is created)');
        const plan = await engine.plan();
        out.result({ dryRun: true, plan }, () => [
          ...quoteTable(plan),
          '',
          'would deploy:',
          ...planLines(plan),
        ]);
        return;
      }
      const result = await engine.deploy();
      if (!args.json) for (const line of planLines(result.plan)) out.progress('info', line.trim());
      out.result(
        {
          deploymentId: result.deploymentId,
          resumed: result.resumed,
          endpoints: result.endpoints,
          plan: result.plan,
          ...(result.apiKey ? { apiKey: result.apiKey.key, apiKeyPrefix: result.apiKey.prefix } : {}),
        },
        () => [
          '',
          `deployment ${result.deploymentId} is live`,
          ...result.endpoints.map((e) => `  endpoint  ${e}`),
          result.apiKey
            ? `  API key   ${result.apiKey.key}\n            (shown once; stored only as a keyed hash)`
            : '  API key   issued by an earlier run (stoa keys create makes another)',
        ],
      );
    } finally {
      await ctx.close();
    }
  },
});
