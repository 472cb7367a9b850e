import type { LoadedConfig } from '../config/load.js';
import type { StoaDb } from '../db/client.js';

/** The project's row, created on first use. */
export async function ensureProject(db: StoaDb, project: LoadedConfig) {
  return db.project.upsert({
    where: { name: project.config.name },
    create: { name: project.config.name, dir: project.dir },
    update: {},
  });
}

export async function recordEvent(
  db: StoaDb,
  deploymentId: string,
  step: string,
  outcome: string,
  detail: string,
) {
  await db.deploymentEvent.create({ data: { deploymentId, step, outcome, detail } });
}
