import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './sshd.js';

/**
 * How an emulator runs the workload of a container it was asked for, as the real network would:
 * the image's entrypoint as a local command. An emulator given none only pretends (a container
 * "runs" after a delay and its health is a fixed answer), which is enough for API-level tests.
 */
export interface WorkloadRunner {
  /** The image's entrypoint, e.g. `[process.execPath, 'apps/node/src/main.ts']` with tsx. */
  readonly command: readonly string[];
  /** Its working directory (the image's WORKDIR). Default: this process's. */
  readonly cwd?: string;
  /** Where each container's private folders (its volumes) go. */
  readonly dir: string;
}

/** One container's process: its mapped URL, its output and its state. */
export interface Workload {
  readonly pid: number;
  /** `http://127.0.0.1:<port>`: the container's traffic port, mapped to a free loopback port. */
  readonly url: string;
  readonly stdout: string[];
  readonly stderr: string[];
  /** 'running' until the process exits. */
  state(): 'running' | 'exited';
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

const KEPT_LINES = 5000;
const live = new Set<ChildProcess>();
// A workload never outlives the process whose emulator started it (e.g. Ctrl-C on `stoa dev`).
process.once('exit', () => {
  for (const child of live) if (child.pid) killGroup(child.pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Starts container `id` of an emulated network: the runner's command with the environment the
 * network was sent, in its own process group. What a container runtime gives it is emulated:
 * its listen address (`STOA_LISTEN`, the node's traffic port) becomes a free 127.0.0.1 port,
 * and its data volume (`STOA_DATA_DIR`) a private folder under the runner's `dir`. It sees no
 * variable of this process but PATH: a container gets only what its deployment carries.
 */
export async function startWorkload(
  runner: WorkloadRunner,
  id: string,
  env: Record<string, string>,
): Promise<Workload> {
  const port = await freePort();
  const dataDir = join(runner.dir, id, 'data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const [command, ...args] = runner.command;
  const child = spawn(command!, args, {
    cwd: runner.cwd ?? process.cwd(),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...env,
      STOA_LISTEN: `127.0.0.1:${port}`,
      STOA_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      live.delete(child);
      resolve();
    }),
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  collectLines(child.stdout!, stdout);
  collectLines(child.stderr!, stderr);
  // A failed kill later is an 'error' event too: it must not crash the emulator's process.
  child.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    stdout,
    stderr,
    state: () => (child.exitCode === null && child.signalCode === null ? 'running' : 'exited'),
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Whatever it started in its group goes with it.
      killGroup(child.pid!, 'SIGKILL');
    },
  };
}

function collectLines(stream: NodeJS.ReadableStream, into: string[]): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    into.push(...lines);
    if (into.length > KEPT_LINES) into.splice(0, into.length - KEPT_LINES);
  });
  stream.on('end', () => {
    if (partial) into.push(partial);
  });
}
