import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** A child process of `stoa dev` (the gateway, the console), its output kept in a log file. */
export interface Service {
  readonly name: string;
  readonly process: ChildProcess;
  /** What the ready line said (e.g. the URL it listens on). */
  readonly ready: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServiceLaunch {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** Everything the process prints goes here. */
  readonly logFile: string;
  /** Matched against each output line; the first capture group is the ready value. */
  readonly readyLine: RegExp;
  readonly timeoutMs: number;
}

const live = new Set<ChildProcess>();
// A service still starting when `stoa dev` exits (Ctrl-C mid-start) is not left behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts a service as a child process and resolves once it prints its ready line; rejects
 * (and kills it) when it exits or times out first, with the tail of its output.
 */
export function startService(launch: ServiceLaunch): Promise<Service> {
  const child = spawn(launch.command, [...launch.args], {
    cwd: launch.cwd,
    env: { ...process.env, ...launch.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(launch.logFile, { flags: 'a', mode: 0o600 });
  live.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  let tail = '';
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void stop(1000).then(() =>
        reject(new Error(`${launch.name} did not start within ${launch.timeoutMs / 1000} s:\n${tail}`)),
      );
    }, launch.timeoutMs);
    const onData = (data: Buffer) => {
      log.write(data);
      tail = (tail + data.toString()).slice(-4000);
      if (settled) return;
      const match = launch.readyLine.exec(tail);
      if (match) {
        settled = true;
        clearTimeout(timer);
        resolve({ name: launch.name, process: child, ready: match[1] ?? match[0], stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      log.end();
      reject(
        new Error(
          `${launch.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail}`,
        ),
      );
    });
  });
}
