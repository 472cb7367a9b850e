import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAddresses, type StoaAddresses } from '@stoa/contracts';

/** The chain (and, under `stoa dev`, the gateway) the console's project runs against. */
export interface ProjectChain {
  readonly rpcUrl: string;
  readonly addresses: StoaAddresses;
  /** Set when `stoa dev` serves the project: its gateway and the model name to call. */
  readonly gateway?: { readonly url: string; readonly model: string };
}

/**
 * `.stoa/dev.json` (written by `stoa dev`) or else `.stoa/chain.json` (the dev chain the deploy
 * engine started); undefined when the project has no local chain yet. Read on every call: the
 * stack may start after the console.
 */
export async function projectChain(stoaDir: string): Promise<ProjectChain | undefined> {
  const dev = join(stoaDir, 'dev.json');
  if (existsSync(dev)) {
    const stack = JSON.parse(readFileSync(dev, 'utf8')) as {
      rpcUrl: string;
      contractsFile: string;
      gatewayUrl: string;
      modelName: string;
    };
    return {
      rpcUrl: stack.rpcUrl,
      addresses: await readAddresses(stack.contractsFile),
      gateway: { url: stack.gatewayUrl, model: stack.modelName },
    };
  }
  const chain = join(stoaDir, 'chain.json');
  if (existsSync(chain)) {
    const known = JSON.parse(readFileSync(chain, 'utf8')) as { rpcUrl: string; addresses?: StoaAddresses };
    if (known.addresses) return { rpcUrl: known.rpcUrl, addresses: known.addresses };
  }
  return undefined;
}
