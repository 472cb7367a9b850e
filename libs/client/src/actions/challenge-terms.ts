import type { Address } from 'viem';
import type { StoaClient } from '../client.js';

/**
 * What a client signs a bonded challenge for: this gateway's agent, the bonds contract, the bond.
 * The one definition of this wire type: the gateway answers with it (apps/gateway imports it).
 */
export interface ChallengeTerms {
  readonly agent: Address;
  readonly bonds: Address;
  readonly chainId: number;
  /** The ClaimRegistry: the verifying contract of receipts' EIP-712 domain. */
  readonly claimRegistry: Address;
  /** Wei, as a decimal string. */
  readonly challengeBond: string;
}

export function getChallengeTerms(client: StoaClient): Promise<ChallengeTerms> {
  return client.request<ChallengeTerms>('GET', '/v1/challenges/terms');
}
