import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The compiled `stoa` a user runs (its sources through tsx cost ~8 s more CPU to start). */
const STOA = join(ROOT, 'apps', 'cli', 'bin', 'stoa.js');

/** `stoa dev` started as a user starts it, with what it printed. */
export interface DevStack {
  readonly consoleUrl: string;
  readonly gatewayUrl: string;
  readonly apiKey: string;
  readonly projectDir: string;
  /** Every loopback URL it printed (chain, nodes, gateway, console). */
  readonly urls: string[];
  output(): string;
  /** Ctrl-C (SIGINT); resolves with the exit code once the process is gone, and removes the project. */
  stop(): Promise<number | null>;
}

/** Runs `stoa dev --project <tmp>` and resolves once it prints the console URL and the API key. */
export function startDevStack(timeoutMs: number): Promise<DevStack> {
  const projectDir = mkdtempSync(join(tmpdir(), 'stoa-dev-e2e-'));
  const child: ChildProcess = spawn(process.execPath, [STOA, 'dev', '--project', projectDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const code = await exited;
    rmSync(projectDir, { recursive: true, force: true });
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop().then(() =>
        reject(new Error(`stoa dev was not serving within ${timeoutMs / 1000} s:\n${out}`)),
      );
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const consoleUrl = /Console {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const gatewayUrl = /Gateway {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const apiKey = /API key {2}(sk_[A-Za-z0-9_-]{43})/.exec(out)?.[1];
      if (consoleUrl && gatewayUrl && apiKey && out.includes('Serving.')) {
        clearTimeout(timer);
        const urls = [...new Set(out.match(/http:\/\/127\.0\.0\.1:\d+/g) ?? [])];
        resolve({ consoleUrl, gatewayUrl, apiKey, projectDir, urls, output: () => out, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      rmSync(projectDir, { recursive: true, force: true });
      reject(new Error(`stoa dev exited (${code}) before serving:\n${out}`));
    });
  });
}
