import { receiptDigest, receiptDomainOf, signChallengeAuthorization } from '@stoa/contracts';
import type { LocalAccount } from 'viem';
import type { StoaClient } from '../client.js';
import { toReceipt } from '../types.js';
import type { ChallengeStatus } from './challenge-status.js';
import { getChallengeTerms } from './challenge-terms.js';
import { getReceipt } from './get-receipt.js';

export interface ChallengeReturnType {
  readonly outcome: 'match' | 'mismatch' | 'unavailable';
  readonly checkNetwork?: string;
  readonly checkNode?: string;
  readonly detail: string;
}

export interface BondedChallengeParameters {
  /** Signs the authorization (locally: the key never leaves this process). */
  readonly account: LocalAccount;
  /** The most wei of the client's deposit this challenge may bond. */
  readonly bond: bigint;
  /** Seconds the authorization stays usable (1 hour). */
  readonly validForSeconds?: number;
  /** Random by default; one authorization per nonce. */
  readonly nonce?: bigint;
}

function randomNonce(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/**
 * Challenges an answer. Without parameters the gateway replays the request on another network's
 * replica and compares; on a mismatch it disputes the wrong receipt with its own bond. With
 * `{ account, bond }` the client pays: it signs an EIP-712 authorization of this receipt for
 * the gateway's agent, which opens the dispute with the bond from the client's deposit
 * (`depositBond`) and plays it; the client wins bond, claim bond and slash reward if the node
 * lied and loses the bond if not. Follow it with `challengeStatus` / `waitForChallenge`.
 */
export function challenge(client: StoaClient, id: string): Promise<ChallengeReturnType>;
export function challenge(
  client: StoaClient,
  id: string,
  bonded: BondedChallengeParameters,
): Promise<ChallengeStatus>;
export async function challenge(
  client: StoaClient,
  id: string,
  bonded?: BondedChallengeParameters,
): Promise<ChallengeReturnType | ChallengeStatus> {
  const path = `/v1/receipts/${encodeURIComponent(id)}/challenge`;
  if (!bonded) return client.request<ChallengeReturnType>('POST', path);
  const [terms, found] = await Promise.all([getChallengeTerms(client), getReceipt(client, id)]);
  const authorization = {
    // Signed over the receipt this client holds, never over a digest the gateway hands out.
    receiptDigest: receiptDigest(toReceipt(found.receipt), receiptDomainOf(terms)),
    maxBond: bonded.bond,
    agent: terms.agent,
    deadline: BigInt(Math.floor(Date.now() / 1000) + (bonded.validForSeconds ?? 3600)),
    nonce: bonded.nonce ?? randomNonce(),
  };
  const signature = await signChallengeAuthorization(bonded.account, authorization, {
    chainId: terms.chainId,
    verifyingContract: terms.bonds,
  });
  return client.request<ChallengeStatus>('POST', path, {
    client: bonded.account.address,
    authorization: {
      ...authorization,
      maxBond: authorization.maxBond.toString(),
      deadline: authorization.deadline.toString(),
      nonce: authorization.nonce.toString(),
    },
    signature,
  });
}
