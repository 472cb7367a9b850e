import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DeploymentRecord, MemoryRecordStore, selfHostedAdapter } from '@stoa/adapters';
import type { Deployment } from '@stoa/node';
import { type Service, startService } from './service.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const GATEWAY_MAIN = join(ROOT, 'apps', 'gateway', 'src', 'main.ts');
const CONSOLE_MAIN = join(ROOT, 'apps', 'console', 'src', 'server', 'main.ts');

/** The nodes of `stoa dev`, started through the self-hosted adapter (the embedded network). */
export class DevNodes {
  private readonly adapter;
  private readonly store = new MemoryRecordStore();
  private readonly running: DeploymentRecord[] = [];

  /** `command`: how a node starts (default: the adapter's, `node --import tsx apps/node/src/main.ts`). */
  constructor(
    private readonly chain: Deployment,
    command?: readonly string[],
  ) {
    this.adapter = selfHostedAdapter({
      baseDir: join(chain.dir, 'nodes'),
      healthTimeoutMs: 120_000,
      ...(command ? { command: [...command] } : {}),
    });
  }

  /** Starts one node; its operator key is handed over by reference (an environment variable). */
  async start(name: string, key: `0x${string}`, env: Record<string, string>): Promise<string> {
    const base = this.chain.env(key);
    const keyVar = `STOA_DEV_KEY_${name.toUpperCase().replace(/-/g, '_')}`;
    process.env[keyVar] = key;
    const record = await this.adapter.provision(
      {
        name,
        modelId: this.chain.modelId,
        artifactUrl: base.STOA_ARTIFACT_URL!,
        rpcUrl: this.chain.chain.rpcUrl,
        contractsFile: base.STOA_CONTRACTS_FILE!,
        operatorKeyRef: `env:${keyVar}`,
        role: env.STOA_ROLE === 'watcher' ? 'watcher' : 'server',
        cwd: ROOT,
        // A local network whose clients agree to be audited: the watcher reads inputs freely.
        env: { STOA_POLL_MS: '300', STOA_BATCH_SIZE: '1', STOA_PUBLIC_INPUTS: 'true', ...env },
      },
      { store: this.store },
    );
    this.running.push(record);
    return (record.data.endpoints as string[])[0]!;
  }

  async stop(): Promise<void> {
    for (const record of this.running.reverse())
      await this.adapter.teardown(record, { store: this.store }).catch(() => {});
  }
}

export interface GatewayLaunch {
  readonly stoaDir: string;
  readonly databaseUrl: string;
  readonly rpcUrl: string;
  readonly contractsFile: string;
  readonly secretFile: string;
  /** The funded dev key the gateway opens disputes with (a client's challenge from the playground). */
  readonly challengerKey: `0x${string}`;
  /** How to start it (default `node --import tsx apps/gateway/src/main.ts`; `stoa dev` bundles it). */
  readonly command?: readonly string[];
}

/** The gateway as its own process (`apps/gateway/src/main.ts`), on a free loopback port. */
export function startGatewayProcess(launch: GatewayLaunch): Promise<Service> {
  mkdirSync(join(launch.stoaDir, 'logs'), { recursive: true });
  return startService({
    name: 'the gateway',
    command: launch.command?.[0] ?? process.execPath,
    args: launch.command?.slice(1) ?? ['--import', 'tsx', GATEWAY_MAIN],
    cwd: ROOT,
    env: {
      STOA_DIR: launch.stoaDir,
      DATABASE_URL: launch.databaseUrl,
      STOA_RPC_URL: launch.rpcUrl,
      STOA_CONTRACTS_FILE: launch.contractsFile,
      STOA_GATEWAY_SECRET: `file:${launch.secretFile}`,
      // By reference: the key itself stays in this child's environment only.
      STOA_GATEWAY_CHALLENGER_KEY: 'env:STOA_DEV_CHALLENGER_KEY',
      STOA_DEV_CHALLENGER_KEY: launch.challengerKey,
      STOA_GATEWAY_LISTEN: '127.0.0.1:0',
      STOA_GATEWAY_SPOOL_DIR: join(launch.stoaDir, 'gateway-spool', 'dev'),
      // The watcher node audits every claim here; the gateway's own sampling stays off.
      STOA_GATEWAY_SPOT_CHECK_RATE: '0',
    },
    logFile: join(launch.stoaDir, 'logs', 'gateway.log'),
    readyLine: /"msg":"listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/,
    timeoutMs: 300_000,
  });
}

/**
 * The console as its own process, built first when its pages changed; loopback, no login.
 * `gatewayPublicKey`: what a deploy from the console hands its nodes, so that they take
 * inference from `stoa dev`'s gateway (public; the secret stays with the gateway).
 */
export function startConsoleProcess(
  projectDir: string,
  stoaDir: string,
  gatewayPublicKey: string,
): Promise<Service> {
  mkdirSync(join(stoaDir, 'logs'), { recursive: true });
  return startService({
    name: 'the console',
    command: process.execPath,
    args: ['--import', 'tsx', CONSOLE_MAIN, '--project', projectDir, '--port', '0', '--ensure-build'],
    cwd: join(ROOT, 'apps', 'console'),
    env: { NEXT_TELEMETRY_DISABLED: '1', STOA_GATEWAY_PUBLIC_KEY: gatewayPublicKey },
    logFile: join(stoaDir, 'logs', 'console.log'),
    readyLine: /console: (http:\/\/127\.0\.0\.1:\d+)/,
    timeoutMs: 600_000,
  });
}
