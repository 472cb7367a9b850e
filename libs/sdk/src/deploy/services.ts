import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  anvilBinary,
  chainClient,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  deployStoa,
  freePort,
  modelCommitments,
  modelRegistryArtifact,
  registerArgs,
  type StoaAddresses,
  writeAddresses,
} from '@stoa/contracts';
import type { Model } from '@stoa/ir';
import { foundry } from 'viem/chains';
import {
  isAlive,
  readJson,
  startDetached,
  stopMarked,
  stopProcess,
  waitUntil,
  writeJson,
} from './background.js';

/** The project's local chain: an anvil process with the contracts deployed. */
export interface DevChain {
  readonly pid: number;
  readonly rpcUrl: string;
  readonly contractsFile: string;
  readonly addresses: StoaAddresses;
  /**
   * Set when another tool runs this chain (`stoa dev` records its own anvil here so that a
   * deploy lands on it): the deploy engine reuses it while it answers and never stops it.
   */
  readonly owner?: string;
}

export interface ArtifactStore {
  readonly pid: number;
  readonly url: string;
  readonly dir: string;
}

const rpcAnswers = async (rpcUrl: string) => {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
  });
  return response.ok;
};

/** Reuses the project's dev chain when it still answers, else starts one and deploys the contracts. */
export async function ensureDevChain(stoaDir: string): Promise<DevChain> {
  const file = join(stoaDir, 'chain.json');
  const known = readJson<Partial<DevChain> & { pid: number; rpcUrl: string }>(file);
  if (known?.owner) {
    if (known.addresses && (await rpcAnswers(known.rpcUrl).catch(() => false))) return known as DevChain;
    throw new Error(
      `${file}: the chain ${known.owner} runs (${known.rpcUrl}) does not answer; start ${known.owner} again or remove the file`,
    );
  }
  if (known?.addresses && isAlive(known.pid) && (await rpcAnswers(known.rpcUrl).catch(() => false))) {
    return known as DevChain;
  }
  // Chains started by runs killed before the contracts were deployed: replace them.
  if (known && isAlive(known.pid)) stopProcess(known.pid);
  await stopMarked(marker(stoaDir, 'chain'));
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const pid = startDetached(
    anvilBinary(),
    ['--host', '127.0.0.1', '--port', String(port), '--chain-id', '31337', '--silent'],
    join(stoaDir, 'logs', 'chain.log'),
    marker(stoaDir, 'chain'),
  );
  writeJson(file, { pid, rpcUrl }); // recorded at once, so a crash from here on leaks no process
  await waitUntil(`the dev chain (anvil on ${rpcUrl})`, () => rpcAnswers(rpcUrl));
  const addresses = await deployStoa({
    rpcUrl,
    account: DEV_ACCOUNTS[0],
    chain: foundry,
    parameters: DEV_PARAMETERS,
  });
  const contractsFile = join(stoaDir, 'chain', 'addresses.json');
  await writeAddresses(contractsFile, addresses);
  const chain: DevChain = { pid, rpcUrl, contractsFile, addresses };
  writeJson(file, chain);
  return chain;
}

/**
 * Registers the model's commitments under the deployer's own entry unless it already is (the
 * registry keys entries by (modelId, registrant): nodes register their own at boot, and this one
 * is the reference anyone can compare theirs with); returns whether this call registered it.
 */
export async function ensureRegistered(chain: DevChain, model: Model): Promise<boolean> {
  const client = chainClient(chain.rpcUrl);
  const commitments = modelCommitments(model);
  const registered = (await client.read(
    chain.addresses.modelRegistry,
    modelRegistryArtifact.abi,
    'isRegistered',
    [commitments.modelId, DEV_ACCOUNTS[0].address],
  )) as boolean;
  if (registered) return false;
  await client.send(
    DEV_ACCOUNTS[0],
    chain.addresses.modelRegistry,
    modelRegistryArtifact.abi,
    'register',
    registerArgs(commitments),
  );
  return true;
}

const SERVE = fileURLToPath(new URL('../store/serve.ts', import.meta.url));

/** Reuses the project's artifact store when it answers, else starts one over `.stoa/store/`. */
export async function ensureArtifactStore(stoaDir: string): Promise<ArtifactStore> {
  const file = join(stoaDir, 'store.json');
  const known = readJson<ArtifactStore>(file);
  const answers = async (url: string) => (await fetch(`${url}/health`)).status === 404;
  if (known && isAlive(known.pid) && (await answers(known.url).catch(() => false))) return known;
  await stopMarked(marker(stoaDir, 'store'));
  const port = await freePort();
  const dir = join(stoaDir, 'store');
  const pid = startDetached(
    process.execPath,
    ['--import', 'tsx', SERVE, dir, String(port)],
    join(stoaDir, 'logs', 'store.log'),
    marker(stoaDir, 'store'),
    fileURLToPath(new URL('.', import.meta.url)),
  );
  const url = `http://127.0.0.1:${port}`;
  const store: ArtifactStore = { pid, url, dir };
  writeJson(file, store); // before waiting: a crash from here on leaks no process
  await waitUntil(`the artifact store (${url})`, () => answers(url));
  return store;
}

/** The STOA_SERVICE marker of one of a project's background processes. */
export function marker(stoaDir: string, service: 'chain' | 'store'): string {
  return `${service}:${stoaDir}`;
}

/** Stops the project's background processes (chain, store), recorded or not; returns what it stopped. */
export async function stopServices(stoaDir: string): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of ['chain', 'store'] as const) {
    const known = readJson<{ pid: number; owner?: string }>(join(stoaDir, `${name}.json`));
    if (known?.owner) continue; // another tool's chain: it stops it
    const recorded = known && isAlive(known.pid);
    if (recorded) stopProcess(known.pid);
    if ((await stopMarked(marker(stoaDir, name), known?.pid)) > 0 || recorded) stopped.push(name);
  }
  return stopped;
}
