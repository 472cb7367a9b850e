import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export interface LocalChain {
  readonly rpcUrl: string;
  readonly port: number;
  readonly chainId: number;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  /** Defaults to a free port on 127.0.0.1. */
  readonly port?: number;
  readonly chainId?: number;
  /** Seconds to wait for the node to answer. */
  readonly startTimeoutSeconds?: number;
}

/** The anvil binary shipped by npm for this platform (@foundry-rs/anvil-<platform>-<arch>). */
export function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  try {
    return join(
      dirname(require.resolve(`${pkg}/package.json`)),
      'bin',
      process.platform === 'win32' ? 'anvil.exe' : 'anvil',
    );
  } catch {
    throw new Error(
      `no anvil binary for ${process.platform}-${arch}: the optional package ${pkg} is not installed (run npm ci)`,
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function answers(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts a real anvil node on 127.0.0.1 and waits until it answers JSON-RPC. */
export async function startAnvil(options: AnvilOptions = {}): Promise<LocalChain> {
  const port = options.port ?? (await freePort());
  const chainId = options.chainId ?? 31337;
  const rpcUrl = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    anvilBinary(),
    ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--silent'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const deadline = Date.now() + (options.startTimeoutSeconds ?? 20) * 1000;
  while (!(await answers(rpcUrl))) {
    if (child.exitCode !== null)
      throw new Error(
        `anvil exited with code ${child.exitCode} before answering on ${rpcUrl}: ${stderr.trim()}`,
      );
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `anvil did not answer on ${rpcUrl} within ${options.startTimeoutSeconds ?? 20} s: ${stderr.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { rpcUrl, port, chainId, stop };
}
