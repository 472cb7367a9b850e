import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Service, startService } from './service.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const GATEWAY_MAIN = join(ROOT, 'apps', 'gateway', 'src', 'main.ts');
const CONSOLE_MAIN = join(ROOT, 'apps', 'console', 'src', 'server', 'main.ts');

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
