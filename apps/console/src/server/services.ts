import { join } from 'node:path';
import {
  databaseUrl,
  ensureProject,
  type LoadedConfig,
  loadConfig,
  openDatabase,
  type StoaDb,
} from '@stoa/sdk';
import { DeployRuns } from './deploy-runs.js';
import { ImportJobs } from './models/import-jobs.js';

/** What every tRPC procedure works on: the project's config, its database and background jobs. */
export interface ConsoleServices {
  readonly project: LoadedConfig;
  readonly projectId: string;
  readonly db: StoaDb;
  readonly stoaDir: string;
  readonly imports: ImportJobs;
  readonly deploys: DeployRuns;
}

/** Loads stoa.config.ts from `projectDir` (or above) and opens its database, as the CLI does. */
export async function openServices(projectDir: string): Promise<ConsoleServices> {
  const project = await loadConfig({ from: projectDir });
  const db = await openDatabase(databaseUrl(project.dir));
  const row = await ensureProject(db, project);
  const stoaDir = join(project.dir, '.stoa');
  return { project, projectId: row.id, db, stoaDir, imports: new ImportJobs(), deploys: new DeployRuns() };
}
