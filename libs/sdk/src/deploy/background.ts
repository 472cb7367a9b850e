import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A process started to outlive the command that started it (the dev chain, the artifact store). */
export interface BackgroundProcess {
  readonly pid: number;
  readonly url: string;
}

/**
 * Starts a detached process whose output goes to `logFile`. `marker` goes into its environment
 * as STOA_SERVICE, so that a process whose pid was never recorded (its starter was killed in
 * between) can still be found and stopped.
 */
export function startDetached(
  command: string,
  args: string[],
  logFile: string,
  marker: string,
  cwd?: string,
): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const env = { ...process.env, STOA_SERVICE: marker };
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], cwd, env });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function stopProcess(pid: number): void {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** Stops every process carrying this service marker except `keep`; returns how many. */
export async function stopMarked(marker: string, keep?: number): Promise<number> {
  // Loaded here: @stoa/adapters' index loads every adapter and its SDKs (network-adapters.ts).
  const { processesWithEnv } = await import('@stoa/adapters');
  const pids = (await processesWithEnv('STOA_SERVICE', marker)).filter((pid) => pid !== keep);
  for (const pid of pids) stopProcess(pid);
  return pids.length;
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Small JSON state files under .stoa/, written atomically. */
export function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
