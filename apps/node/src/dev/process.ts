import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface NodeProcess {
  readonly url: string;
  readonly process: ChildProcess;
  /** Every JSON log line the node printed so far. */
  readonly logs: Record<string, unknown>[];
  waitForHealth(state: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown code runs. */
  kill(): Promise<void>;
}

/** Another way to start the node process, e.g. the built image under unshare + chroot (images/node). */
export interface NodeLaunch {
  command: string;
  args: string[];
}

/**
 * Starts the node exactly as its image does — `node --import tsx apps/node/src/main.ts` with
 * STOA_* variables — on a free loopback port, and resolves once it says where it listens.
 * `launch` replaces that command line (the environment still goes to it).
 */
export function spawnNode(
  env: Record<string, string>,
  launch?: NodeLaunch,
  {
    keepLogs = true,
  }: {
    /**
     * Whether to parse and keep every log line after 'listening' (`logs`). A load generator
     * turns it off: the node's stdout then goes to a file (as a deployment's log collector
     * takes it), not a pipe the load generator would have to wake up and read for every
     * request the node answers; 'listening' is read from that file.
     */
    readonly keepLogs?: boolean;
  } = {},
): Promise<NodeProcess> {
  const logDir = keepLogs ? undefined : mkdtempSync(join(tmpdir(), 'stoa-node-log-'));
  const logFile = logDir && join(logDir, 'stdout.jsonl');
  const logFd = logFile ? openSync(logFile, 'w') : undefined;
  const child = spawn(launch?.command ?? process.execPath, launch?.args ?? ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { ...process.env, STOA_LISTEN: '127.0.0.1:0', ...env },
    stdio: ['ignore', logFd ?? 'pipe', 'pipe'],
  });
  if (logFd !== undefined) closeSync(logFd); // the child holds its own copy
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (logDir) rmSync(logDir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    /** Parses whole lines; true once 'listening' was among them. */
    const onText = (text: string): boolean => {
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      let listening = false;
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'listening') {
            resolve(handle(String(entry.url)));
            listening = true;
          }
        } catch {
          // not a log line
        }
      }
      return listening;
    };
    if (logFile) {
      let read = 0;
      const poll = setInterval(() => {
        // An exited node's directory is removed on 'exit'; `exited` reports why it stopped.
        if (child.exitCode !== null || child.signalCode !== null) return clearInterval(poll);
        const text = readFileSync(logFile, 'utf8');
        const listening = onText(text.slice(read));
        read = text.length;
        if (listening) clearInterval(poll);
      }, 20);
    } else child.stdout!.on('data', (d: Buffer) => onText(d.toString()));
    void exited.then((code) => reject(new Error(`the node exited (${code}) before listening:\n${stderr}`)));
  });

  function handle(url: string): NodeProcess {
    return {
      url,
      process: child,
      logs,
      async waitForHealth(state, timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        let last: Record<string, unknown> = {};
        while (Date.now() < deadline) {
          try {
            last = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
            if (last.state === state) return last;
            if (last.state === 'failed') throw new Error(`the node failed: ${String(last.reason)}`);
          } catch (error) {
            if ((error as Error).message.startsWith('the node failed')) throw error;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(
          `the node did not reach '${state}' in ${timeoutMs} ms (last: ${JSON.stringify(last)})\n${stderr}`,
        );
      },
      async stop() {
        child.kill('SIGTERM');
        return exited;
      },
      async kill() {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }
}
