import { type ChainClient, type StoaAddresses, stakeManagerArtifact } from '@stoa/contracts';
import type { Hex } from 'viem';

/**
 * Whether a node is staked (its own bond, or its operator's while it is an authorized signer),
 * read from the StakeManager and cached for `ttlMs`: a slash or revocation shows within that.
 */
export class StakeCheck {
  private readonly cache = new Map<string, { staked: boolean; at: number }>();

  constructor(
    private readonly client: ChainClient,
    private readonly addresses: StoaAddresses,
    private readonly ttlMs = 5_000,
  ) {}

  /** The cached answer when fresh (the hot path), else undefined: call `refresh`. */
  cached(node: string): boolean | undefined {
    const hit = this.cache.get(node.toLowerCase());
    return hit && Date.now() - hit.at < this.ttlMs ? hit.staked : undefined;
  }

  async isStaked(node: string): Promise<boolean> {
    return this.cached(node) ?? (await this.refresh(node));
  }

  async refresh(node: string): Promise<boolean> {
    const bonded = (await this.client.read(
      this.addresses.stakeManager,
      stakeManagerArtifact.abi,
      'bondedOf',
      [node as Hex],
    )) as bigint;
    this.cache.set(node.toLowerCase(), { staked: bonded > 0n, at: Date.now() });
    return bonded > 0n;
  }
}
