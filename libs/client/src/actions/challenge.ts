import type { StoaClient } from '../client.js';

export interface ChallengeReturnType {
  readonly outcome: 'match' | 'mismatch' | 'unavailable';
  readonly checkNetwork?: string;
  readonly checkNode?: string;
  readonly detail: string;
}

/**
 * Challenges an answer: the gateway replays the request on another network's replica and
 * compares; on a mismatch it re-executes the model, finds the wrong receipt and disputes it on
 * chain with its challenger's bond. The outcome is recorded with the gateway's spot checks.
 */
export function challenge(client: StoaClient, id: string): Promise<ChallengeReturnType> {
  return client.request<ChallengeReturnType>('POST', `/v1/receipts/${encodeURIComponent(id)}/challenge`);
}
