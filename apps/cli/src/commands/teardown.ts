import { teardown as teardownProject } from '@stoa/sdk';
import { stoaCommand } from '../lib/command.js';
import { openProject } from '../lib/context.js';
import { DESCRIPTIONS } from './descriptions.js';

export const teardown = stoaCommand({
  name: 'teardown',
  description: DESCRIPTIONS.teardown,
  async run(args, out) {
    const ctx = await openProject(out, args.cwd);
    try {
      const result = await teardownProject(ctx.engine(), (id) => out.progress('done', `released ${id}`));
      out.result(result, () => [
        result.deploymentId
          ? `deployment ${result.deploymentId} torn down: ${result.replicasTornDown.length} placement(s) released`
          : 'no active deployment',
        ...(result.servicesStopped.length ? [`stopped: ${result.servicesStopped.join(', ')}`] : []),
      ]);
    } finally {
      await ctx.close();
    }
  },
});
