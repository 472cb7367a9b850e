import {
  type chainClient,
  claimRegistryArtifact,
  type StoaAddresses,
  stakeManagerArtifact,
} from '@stoa/contracts';
import type { Hex } from 'viem';
import type { privateKeyToAccount } from 'viem/accounts';
import type { Logger } from './log.js';

type Client = ReturnType<typeof chainClient>;
type Account = ReturnType<typeof privateKeyToAccount>;

async function minStakeOf(client: Client, addresses: StoaAddresses): Promise<bigint> {
  return (await client.read(addresses.claimRegistry, claimRegistryArtifact.abi, 'minStake')) as bigint;
}

/** Dev chains: a node whose own key holds funds stakes for itself up to `stakeWei` (or the minimum). */
export async function ensureOwnStake(
  client: Client,
  addresses: StoaAddresses,
  account: Account,
  stakeWei: bigint | undefined,
  logger: Logger,
): Promise<void> {
  const abi = stakeManagerArtifact.abi;
  const bonded = (await client.read(addresses.stakeManager, abi, 'bondedOf', [account.address])) as bigint;
  const target = stakeWei ?? (await minStakeOf(client, addresses));
  if (bonded >= target) return;
  logger.log('info', 'staking', { bonded, target });
  await client.send(account, addresses.stakeManager, abi, 'stake', [], target - bonded);
}

/**
 * Waits until `operator` has authorized this node's address for its stake and that stake
 * covers the registry's minimum. `waiting` is told what is missing (shown in /health).
 */
export async function awaitAuthorization(opts: {
  client: Client;
  addresses: StoaAddresses;
  node: Hex;
  operator: Hex;
  pollMs: number;
  waiting: (reason: string | undefined) => void;
  signal: { stopped: boolean };
}): Promise<void> {
  const { client, addresses, node, operator } = opts;
  const abi = stakeManagerArtifact.abi;
  const minStake = await minStakeOf(client, addresses);
  for (;;) {
    const [bound, revoked, bonded] = (await Promise.all([
      client.read(addresses.stakeManager, abi, 'operatorOf', [node]),
      client.read(addresses.stakeManager, abi, 'signerRevoked', [node]),
      client.read(addresses.stakeManager, abi, 'bondedOf', [node]),
    ])) as [Hex, boolean, bigint];
    if (revoked)
      throw new Error(`node key ${node} was revoked by its operator; start a node with a new data volume`);
    const boundHere = bound.toLowerCase() === operator.toLowerCase();
    if (bound !== '0x0000000000000000000000000000000000000000' && !boundHere) {
      throw new Error(`node key ${node} is authorized by ${bound}, not by STOA_OPERATOR_ADDRESS ${operator}`);
    }
    if (boundHere && bonded >= minStake) return opts.waiting(undefined);
    opts.waiting(
      boundHere
        ? `awaiting stake: operator ${operator} has ${bonded} wei bonded, the registry needs ${minStake}`
        : `awaiting authorization: operator ${operator} must call StakeManager.authorizeSigner(${node})`,
    );
    if (opts.signal.stopped) throw new Error('stopped while awaiting authorization');
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
}
