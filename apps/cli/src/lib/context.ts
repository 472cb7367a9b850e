import { join } from 'node:path';
import {
  DeployEngine,
  databaseUrl,
  type LoadedConfig,
  loadConfig,
  openDatabase,
  type StoaDb,
} from '@stoa/sdk';
import type { Output } from './output.js';

export interface ProjectContext {
  readonly project: LoadedConfig;
  readonly db: StoaDb;
  readonly stoaDir: string;
  engine(): DeployEngine;
  close(): Promise<void>;
}

/** Loads stoa.config.ts and opens the database (migrating it on first use). */
export async function openProject(out: Output, cwd?: string): Promise<ProjectContext> {
  const project = await loadConfig({ from: cwd ?? process.cwd() });
  const db = await openDatabase(databaseUrl(project.dir));
  const stoaDir = join(project.dir, '.stoa');
  return {
    project,
    db,
    stoaDir,
    engine: () =>
      new DeployEngine(project, db, {
        step: (name, phase, detail) => out.progress(phase, name, detail),
        decision: (text) => out.progress('decision', text),
      }),
    close: () => db.$disconnect(),
  };
}
