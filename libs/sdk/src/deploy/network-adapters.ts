import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetworkAdapter } from '@stoa/adapters';
import type { NetworkConfig } from '../config/schema.js';
import { resolveSecret, type SecretRef } from '../config/secrets.js';

/** Where apps/node lives: self-hosted replicas run `node --import tsx apps/node/src/main.ts` there. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export function networkName(network: NetworkConfig): string {
  return typeof network.adapter === 'string' ? network.adapter : network.adapter.name;
}

/**
 * Set (by esbuild's `define`) only in the compiled `stoa` (apps/cli/dist): apps/node compiled
 * into one file beside it. Self-hosted replicas then start as `node <that file>`: ~2 s of CPU per
 * start instead of ~5 s through tsx (docs/decisions.md). A node command in the spec still wins.
 */
declare const STOA_COMPILED_NODE_MAIN: string | undefined;

/** Timeouts for the deploy engine (tests shorten them through the environment). */
function timeout(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function credential(network: NetworkConfig, field: string, projectDir: string): string {
  const ref = network.credentials[field];
  if (!ref) {
    throw new Error(`networks '${networkName(network)}': credentials.${field} is required (e.g. 'env:NAME')`);
  }
  return resolveSecret(ref as SecretRef, projectDir);
}

/**
 * The adapter for a configured network, with its credentials read now (from the environment or
 * a file), never stored. Plugins are used as given. The built-in adapters load here, when a
 * command first talks to a network: with the Akash SDK, cosmjs, undici and ws they cost ~1.5 s
 * of CPU to load, which `stoa keys`, `stoa usage` and loading a config need not pay.
 */
export async function adapterFor(
  network: NetworkConfig,
  projectDir: string,
  stoaDir: string,
): Promise<NetworkAdapter> {
  if (typeof network.adapter !== 'string') return network.adapter as unknown as NetworkAdapter;
  const { akashAdapter, ionetAdapter, renderAdapter, selfHostedAdapter } = await import('@stoa/adapters');
  switch (network.adapter) {
    case 'self-hosted':
      return selfHostedAdapter({
        baseDir: join(stoaDir, 'nodes'),
        cwd: REPO_ROOT,
        ...(typeof STOA_COMPILED_NODE_MAIN === 'string'
          ? { command: ['node', STOA_COMPILED_NODE_MAIN] }
          : {}),
        healthTimeoutMs: timeout('STOA_HEALTH_TIMEOUT_MS', 120_000),
      });
    case 'akash':
      return akashAdapter({
        mnemonic: credential(network, 'mnemonic', projectDir),
        restUrl: network.endpoint ?? 'https://api.akashnet.net',
        bidTimeoutMs: timeout('STOA_BID_TIMEOUT_MS', 60_000),
        readyTimeoutMs: timeout('STOA_READY_TIMEOUT_MS', 600_000),
      });
    case 'ionet':
      return ionetAdapter({
        apiKey: credential(network, 'apiKey', projectDir),
        ...(network.endpoint ? { baseUrl: network.endpoint } : {}),
        readyTimeoutMs: timeout('STOA_READY_TIMEOUT_MS', 600_000),
      });
    case 'render':
      return renderAdapter({
        keyId: credential(network, 'keyId', projectDir),
        secret: credential(network, 'secret', projectDir),
        baseUrl: network.endpoint ?? 'https://api.rendernetwork.com',
      });
  }
}
