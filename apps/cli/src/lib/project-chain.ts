import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readAddresses } from '@stoa/contracts';
import type { Address } from 'viem';
import type { ProjectContext } from './context.js';

/**
 * The chain the project's claims live on: its dev chain (`.stoa/chain.json`, written by the deploy
 * engine) or the configured one; undefined while a dev project has no chain yet.
 */
export async function projectChain(
  ctx: Pick<ProjectContext, 'project' | 'stoaDir'>,
): Promise<{ rpcUrl: string; claimRegistry: Address } | undefined> {
  const chain = ctx.project.config.chain;
  if (chain !== 'dev') {
    const addresses = await readAddresses(resolve(ctx.project.dir, chain.contracts));
    return { rpcUrl: chain.rpcUrl, claimRegistry: addresses.claimRegistry };
  }
  const file = join(ctx.stoaDir, 'chain.json');
  if (!existsSync(file)) return undefined;
  const known = JSON.parse(readFileSync(file, 'utf8')) as {
    rpcUrl: string;
    addresses?: { claimRegistry: Address };
  };
  return known.addresses ? { rpcUrl: known.rpcUrl, claimRegistry: known.addresses.claimRegistry } : undefined;
}
