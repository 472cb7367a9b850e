import {
  chainClient,
  claimRegistryArtifact,
  disputeGameArtifact,
  readAddresses,
  type StoaAddresses,
  stakeManagerArtifact,
} from '@stoa/contracts';
import { createWalletClient, defineChain, type Hex, http, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { UserError } from './errors.js';
import { type NodeHealth, resolveKeyRef } from './node-env.js';
import type { NodeSpec } from './types.js';

export interface AuthorizeNodeOptions {
  rpcUrl: string;
  /** The contract addresses file (readable on the operator's machine). */
  contractsFile: string;
  /** `env:NAME` or `file:PATH` on the operator's machine. */
  operatorKeyRef: string;
  /** The node's own signing address, from its /health (`node`). */
  node: Hex;
  /**
   * Money sent to the node's address: it pays its own claim bonds, challenge bonds (a watcher) and
   * gas. Default: 10 claim bonds + 2 challenge bonds + 0.05 ETH of gas, read from the contracts.
   */
  gasWei?: bigint;
  /** Stake the operator up to this when it has less; default the registry's minimum. */
  stakeWei?: bigint;
}

const ZERO = '0x0000000000000000000000000000000000000000';

/**
 * Run on the operator's machine: makes sure the operator's stake covers the registry's minimum,
 * sends the node gas money, and authorizes the node's own key for the operator's stake. The
 * operator key signs these transactions here and goes nowhere else. Safe to call again.
 */
export async function authorizeNode(
  opts: AuthorizeNodeOptions,
): Promise<{ operator: Hex; authorized: boolean }> {
  const { operator, addresses, chain, client } = await operatorSide(opts);
  const abi = stakeManagerArtifact.abi;
  const bound = (await client.read(addresses.stakeManager, abi, 'operatorOf', [opts.node])) as Hex;
  if (bound !== ZERO && bound.toLowerCase() !== operator.address.toLowerCase()) {
    throw new UserError(
      'invalid-spec',
      `node ${opts.node} is already authorized by another operator, ${bound}`,
      {
        fields: ['operatorKeyRef'],
      },
    );
  }
  const minStake = (await client.read(
    addresses.claimRegistry,
    claimRegistryArtifact.abi,
    'minStake',
  )) as bigint;
  const target = opts.stakeWei ?? minStake;
  const bonded = (await client.read(addresses.stakeManager, abi, 'bondedOf', [operator.address])) as bigint;
  if (bonded < target) await client.send(operator, addresses.stakeManager, abi, 'stake', [], target - bonded);
  if (bound !== ZERO) return { operator: operator.address, authorized: false };
  // Gas first: the node starts posting claims as soon as it sees the authorization.
  const gas = opts.gasWei ?? (await defaultNodeFunds(client, addresses));
  if (gas > 0n) {
    const wallet = createWalletClient({ account: operator, chain, transport: http(opts.rpcUrl) });
    await client.reader.waitForTransactionReceipt({
      hash: await wallet.sendTransaction({ to: opts.node, value: gas }),
    });
  }
  await client.send(operator, addresses.stakeManager, abi, 'authorizeSigner', [opts.node]);
  return { operator: operator.address, authorized: true };
}

async function defaultNodeFunds(
  client: ReturnType<typeof chainClient>,
  addresses: StoaAddresses,
): Promise<bigint> {
  const [claimBond, challengeBond] = (await Promise.all([
    client.read(addresses.claimRegistry, claimRegistryArtifact.abi, 'claimBond'),
    client.read(addresses.disputeGame, disputeGameArtifact.abi, 'challengeBond'),
  ])) as [bigint, bigint];
  return 10n * claimBond + 2n * challengeBond + parseEther('0.05');
}

/**
 * For an adapter's wait-for-health step: authorizes (`authorizeNode`) a node whose `/health`
 * says it awaits its operator, when the spec names the operator key on this (the operator's)
 * machine; once per node key. Every network's adapter stakes and authorizes the same way.
 */
export function nodeAuthorizer(opts: { enabled?: boolean; gasWei?: bigint } = {}) {
  const authorized = new Set<string>();
  return async (spec: NodeSpec, health: NodeHealth | undefined): Promise<void> => {
    if (opts.enabled === false || !spec.operatorKeyRef || !spec.contractsFile) return;
    if (health?.state !== 'starting' || !health.node) return;
    if (!/^awaiting (authorization|stake)/.test(health.reason ?? '')) return;
    if (authorized.has(health.node)) return;
    await authorizeNode({
      rpcUrl: spec.rpcUrl,
      contractsFile: spec.contractsFile,
      operatorKeyRef: spec.operatorKeyRef,
      node: health.node as `0x${string}`,
      ...(opts.gasWei !== undefined ? { gasWei: opts.gasWei } : {}),
    });
    authorized.add(health.node);
  };
}

/** Run on the operator's machine when a node's key is compromised: it backs no new claims. */
export async function revokeNode(opts: Omit<AuthorizeNodeOptions, 'gasWei' | 'stakeWei'>): Promise<void> {
  const { operator, addresses, client } = await operatorSide(opts);
  await client.send(operator, addresses.stakeManager, stakeManagerArtifact.abi, 'revokeSigner', [opts.node]);
}

/** The operator's account (its key read here, on its own machine) and a client for the chain. */
async function operatorSide(opts: { rpcUrl: string; contractsFile: string; operatorKeyRef: string }) {
  const operator = privateKeyToAccount(resolveKeyRef(opts.operatorKeyRef));
  const addresses: StoaAddresses = await readAddresses(opts.contractsFile);
  const chain = defineChain({
    id: addresses.chainId,
    name: `stoa-${addresses.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [opts.rpcUrl] } },
  });
  return { operator, addresses, chain, client: chainClient(opts.rpcUrl, chain) };
}
