import { randomUUID } from 'node:crypto';
import type { ImportedModel, ModelImportProgress } from '@stoa/sdk';

export interface ImportJob {
  readonly id: string;
  readonly name: string;
  readonly startedAt: Date;
  progress: ModelImportProgress;
  state: 'running' | 'done' | 'failed';
  error?: string;
  result?: Omit<ImportedModel, 'model'>;
}

/**
 * Model imports run in the console's process after the request that started them returns;
 * the page polls `model.importStatus` for progress. Jobs are kept in memory: a restart loses
 * a running import's progress (never a finished model, which is in the database).
 */
export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();

  start(
    name: string,
    work: (onProgress: (p: ModelImportProgress) => void) => Promise<ImportedModel>,
  ): ImportJob {
    const job: ImportJob = {
      id: randomUUID(),
      name,
      startedAt: new Date(),
      progress: { phase: 'import', done: 0, total: 1 },
      state: 'running',
    };
    this.jobs.set(job.id, job);
    work((p) => {
      job.progress = p;
    }).then(
      ({ model: _model, ...result }) => {
        job.state = 'done';
        job.result = result;
      },
      (error: Error) => {
        job.state = 'failed';
        job.error = error.message;
      },
    );
    return job;
  }

  get(id: string): ImportJob | undefined {
    return this.jobs.get(id);
  }
}
