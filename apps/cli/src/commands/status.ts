import type { DeploymentRecord } from '@stoa/adapters';
import { DbRecordStore, type StoaDb } from '@stoa/sdk';
import { stoaCommand } from '../lib/command.js';
import { openProject, type ProjectContext } from '../lib/context.js';
import { CliError, EXIT } from '../lib/exit-codes.js';
import { table } from '../lib/output.js';
import { DESCRIPTIONS } from './descriptions.js';

/** The active deployment and its replica rows, or exit 7. */
export async function activeDeployment(ctx: ProjectContext) {
  const deployment = await ctx.engine().active();
  if (!deployment) throw new CliError("no active deployment; run 'stoa deploy'", EXIT.notFound);
  const replicas = await ctx.db.replica.findMany({
    where: { deploymentId: deployment.id },
    orderBy: { createdAt: 'asc' },
  });
  return { deployment, replicas };
}

export function networkIndexOf(row: { provider: string | null }): number {
  return Number((JSON.parse(row.provider ?? '{}') as { networkIndex?: number }).networkIndex ?? -1);
}

export async function recordOf(db: StoaDb, adapterId: string): Promise<DeploymentRecord | undefined> {
  return new DbRecordStore(db).get(adapterId);
}

export const status = stoaCommand({
  name: 'status',
  description: DESCRIPTIONS.status,
  async run(args, out) {
    const ctx = await openProject(out, args.cwd);
    try {
      const { deployment, replicas } = await activeDeployment(ctx);
      const live: {
        id: string;
        network: string;
        state: string;
        health: string;
        endpoint: string | null;
        pricePerHourUsd: number;
      }[] = [];
      for (const row of replicas) {
        const record = row.state === 'running' ? await recordOf(ctx.db, row.adapterId) : undefined;
        const health = record
          ? await (await ctx.engine().adapter(networkIndexOf(row)))
              .status(record)
              .catch((e: Error) => ({ state: `error: ${e.message}`, endpoints: [] }))
          : undefined;
        live.push({
          id: row.adapterId,
          network: row.network,
          state: row.state,
          health: health?.state ?? '-',
          endpoint: row.endpoint,
          pricePerHourUsd: row.pricePerHourUsd,
        });
      }
      const events = await ctx.db.deploymentEvent.findMany({
        where: { deploymentId: deployment.id, outcome: 'decision' },
        orderBy: { at: 'asc' },
      });
      out.result(
        {
          deployment: {
            id: deployment.id,
            state: deployment.state,
            endpoint: deployment.endpoint,
            artifactUrl: deployment.artifactUrl,
          },
          replicas: live,
          decisions: events.map((e) => e.detail),
        },
        () => [
          `deployment ${deployment.id}: ${deployment.state}`,
          ...table([
            ['REPLICA', 'NETWORK', 'STATE', 'HEALTH', '$/H', 'ENDPOINT'],
            ...live.map((r) => [
              r.id,
              r.network,
              r.state,
              r.health,
              r.pricePerHourUsd.toFixed(4),
              r.endpoint ?? '-',
            ]),
          ]),
          ...events.map((e) => `decision: ${e.detail}`),
        ],
      );
    } finally {
      await ctx.close();
    }
  },
});
