import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { AkashEmulator, type EmulatedProvider, IonetEmulator, signerFromMnemonic } from '@stoa/adapters';

export const STOA = fileURLToPath(new URL('../../bin/stoa.js', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Emulator timings short enough for tests; the adapters' own defaults are minutes. */
export const FAST_ENV = { STOA_BID_TIMEOUT_MS: '1500', STOA_READY_TIMEOUT_MS: '10000' };

/**
 * Runs the `stoa` command as a user would (a separate process). `killWhen` SIGKILLs it as soon
 * as its output matches, to simulate a crash at that point.
 */
export function stoa(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  killWhen?: RegExp,
): Promise<RunResult> {
  const started = Date.now();
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(process.execPath, [STOA, ...args], {
      cwd,
      env: { ...process.env, ...FAST_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const watch = () => {
      if (killWhen?.test(stdout + stderr) && child.exitCode === null) child.kill('SIGKILL');
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      watch();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      watch();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (process.env.STOA_TEST_TIMINGS)
        console.log(`stoa ${args.join(' ')}: ${(Date.now() - started) / 1000} s`);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Parses the JSON document a `--json` command printed, failing with its output when it did not. */
export function json<T = Record<string, unknown>>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

export interface Emulators {
  readonly akash: AkashEmulator;
  readonly ionet: IonetEmulator;
  readonly env: Record<string, string>;
  active(): number;
}

export const PROVIDERS: EmulatedProvider[] = [
  { owner: 'akash1provcheap000000000000000000000000000', attributes: { region: 'eu' }, priceUakt: 900 },
];

/** The Akash chain + provider emulator and the io.net emulator, with funded credentials. */
export async function startEmulators(
  options: { akashProviders?: EmulatedProvider[] } = {},
): Promise<Emulators> {
  const mnemonic = (await DirectSecp256k1HdWallet.generate(24, { prefix: 'akash' })).mnemonic;
  const address = (await signerFromMnemonic(mnemonic)).address;
  const akash = await new AkashEmulator({
    accounts: { [address]: 100_000_000 },
    providers: options.akashProviders ?? PROVIDERS,
  }).start();
  const ionet = await new IonetEmulator({ apiKey: 'io-test-key' }).start();
  return {
    akash,
    ionet,
    env: { AKASH_MNEMONIC: mnemonic, IONET_API_KEY: 'io-test-key' },
    active: () => akash.activeResources() + ionet.activeContainers(),
  };
}

/** Rewrites the template's networks (and budget) in stoa.config.ts. */
export function setNetworks(dir: string, networks: string, maxPerHour = 10): void {
  const file = join(dir, 'stoa.config.ts');
  const text = readFileSync(file, 'utf8')
    .replace(/networks: \[.*\],/, `networks: ${networks},`)
    .replace(/budget: \{ maxPerHour: [\d.]+ \}/, `budget: { maxPerHour: ${maxPerHour} }`);
  writeFileSync(file, text);
}

export const akashNetwork = (e: Emulators, extra = '') =>
  `{ adapter: 'akash', endpoint: '${e.akash.restUrl}', gpu: 'nvidia-rtx4090', credentials: { mnemonic: 'env:AKASH_MNEMONIC' }${extra} }`;
export const ionetNetwork = (e: Emulators, extra = '') =>
  `{ adapter: 'ionet', endpoint: '${e.ionet.url}', gpu: 'nvidia-rtx4090', credentials: { apiKey: 'env:IONET_API_KEY' }${extra} }`;
