import { DeployEngine, type DeployResult } from '@stoa/sdk';
import { configWithModel } from './models/sources.js';
import type { ConsoleServices } from './services.js';

export interface DeployRunLine {
  readonly at: Date;
  readonly kind: 'step' | 'decision';
  readonly text: string;
}

export interface DeployRun {
  readonly startedAt: Date;
  state: 'running' | 'done' | 'failed';
  readonly lines: DeployRunLine[];
  result?: Pick<DeployResult, 'deploymentId' | 'endpoints'>;
  /** The API key this run issued, until it has been shown once. */
  apiKey?: string;
  error?: string;
}

/**
 * The console's deploy: one run of the SDK's deploy engine at a time, in the background, its
 * step and failover events kept for the wizard to poll (the engine also records them in the
 * database, where the Deployments page reads them).
 */
export class DeployRuns {
  private current?: DeployRun;

  /** The latest run, without its new API key (`newKey` says whether one waits to be shown). */
  latest() {
    const run = this.current;
    if (!run) return undefined;
    const { apiKey, ...rest } = run;
    return { ...rest, lines: [...rest.lines], newKey: apiKey !== undefined };
  }

  /** The API key the latest run issued, handed out once, then forgotten. */
  takeKey(): string | undefined {
    const key = this.current?.apiKey;
    if (this.current) delete this.current.apiKey;
    return key;
  }

  /** Deploys stoa.config.ts's model, or the imported model `modelName` in its place. */
  start(services: ConsoleServices, modelName?: string): DeployRun {
    if (this.current?.state === 'running') throw new Error('a deploy is already running');
    const project = modelName
      ? configWithModel(services.project, services.stoaDir, modelName)
      : services.project;
    const lines: DeployRunLine[] = [];
    const run: DeployRun = { startedAt: new Date(), state: 'running', lines };
    const push = (kind: DeployRunLine['kind'], text: string) => lines.push({ at: new Date(), kind, text });
    const engine = new DeployEngine(project, services.db, {
      step: (name, phase, detail) => push('step', `${name} ${phase}${detail ? `: ${detail}` : ''}`),
      decision: (text) => push('decision', text),
    });
    this.current = run;
    engine.deploy().then(
      (result) => {
        run.state = 'done';
        run.result = { deploymentId: result.deploymentId, endpoints: result.endpoints };
        if (result.apiKey) run.apiKey = result.apiKey.key;
      },
      (error: Error) => {
        run.state = 'failed';
        run.error = error.message;
      },
    );
    return run;
  }
}
