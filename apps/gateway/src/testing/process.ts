import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface GatewayProcess {
  readonly url: string;
  readonly process: ChildProcess;
  readonly logs: Record<string, unknown>[];
  stop(): Promise<number | null>;
  /** SIGKILL: nothing of the gateway's shutdown runs. */
  kill(): Promise<void>;
}

/**
 * Starts `apps/gateway/src/main.ts` as its own process and resolves once it listens.
 * `nodeArgs` go before the script (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept).
 */
export function spawnGateway(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'listening')
            resolve({
              url: String(entry.url),
              process: child,
              logs,
              stop: async () => {
                child.kill('SIGTERM');
                return exited;
              },
              kill: async () => {
                child.kill('SIGKILL');
                await exited;
              },
            });
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((code) =>
      reject(new Error(`the gateway exited (${code}) before listening:\n${stderr}`)),
    );
  });
}
