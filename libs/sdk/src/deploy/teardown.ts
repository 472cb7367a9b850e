import type { DeploymentRecord } from '@stoa/adapters';
import { changeKeys } from '../gateway/key-version.js';
import type { DeployEngine } from './engine.js';
import { recordEvent } from './project.js';
import { stopServices } from './services.js';

export interface TeardownResult {
  readonly deploymentId?: string;
  readonly replicasTornDown: string[];
  readonly servicesStopped: string[];
}

/**
 * Releases every replica the project's active deployment holds (including failed and half-made
 * ones), revokes its deploy keys, then stops the local chain and artifact store. Idempotent.
 */
export async function teardown(
  engine: DeployEngine,
  onReplica?: (id: string) => void,
): Promise<TeardownResult> {
  const { db } = engine;
  const deployment = await engine.active();
  const replicasTornDown: string[] = [];
  if (deployment) {
    const rows = await db.replica.findMany({ where: { deploymentId: deployment.id, record: { not: null } } });
    for (const row of rows) {
      const record = JSON.parse(row.record!) as DeploymentRecord;
      const index = Number((JSON.parse(row.provider ?? '{}') as { networkIndex?: number }).networkIndex);
      if (record.state !== 'torn-down' || row.state !== 'torn-down') {
        await (await engine.adapter(index)).teardown(record, { store: undefined });
        replicasTornDown.push(row.adapterId);
        onReplica?.(row.adapterId);
      }
      await db.replica.update({
        where: { id: row.id },
        data: {
          state: 'torn-down',
          tornDownAt: row.tornDownAt ?? new Date(),
          record: JSON.stringify({ ...record, state: 'torn-down' }),
        },
      });
    }
    await changeKeys(db, deployment.projectId, (tx) =>
      tx.apiKey.updateMany({
        where: { name: `deploy:${deployment.id}`, revokedAt: null },
        data: { revokedAt: new Date() },
      }),
    );
    await db.deployment.update({
      where: { id: deployment.id },
      data: { state: 'torn-down', tornDownAt: new Date() },
    });
    await recordEvent(db, deployment.id, 'teardown', 'done', replicasTornDown.join(', '));
    await db.auditLog.create({
      data: {
        actor: 'cli',
        action: 'teardown',
        subject: deployment.id,
        detail: JSON.stringify({ replicasTornDown }),
      },
    });
  }
  const servicesStopped = await stopServices(engine.stoaDir);
  return { ...(deployment ? { deploymentId: deployment.id } : {}), replicasTornDown, servicesStopped };
}
