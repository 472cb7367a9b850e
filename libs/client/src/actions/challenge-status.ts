import type { Address } from 'viem';
import type { StoaClient } from '../client.js';

/** Where a bonded challenge stands: opening (the node's claim awaited), open, resolved or failed. */
export type ChallengeState = 'waiting_for_claim' | 'open' | 'resolved' | 'failed';

/**
 * A bonded challenge as the gateway reports it. The one definition of this wire type: the
 * gateway answers with it (apps/gateway imports it from here).
 */
export interface ChallengeStatus {
  readonly id: string;
  readonly client: Address;
  readonly state: ChallengeState;
  /** Wei, as a decimal string. */
  readonly bond: string;
  /** The gateway's own re-execution of the receipt, before the dispute opened. */
  readonly gatewayVerdict?: string;
  readonly disputeId?: string;
  readonly phase?: number;
  /** `challenger_won`: the node lied; the bond, the claim's bond and the slash reward are the client's. */
  readonly outcome?: 'challenger_won' | 'node_won';
  readonly error?: string;
}

export function challengeStatus(client: StoaClient, id: string): Promise<ChallengeStatus> {
  return client.request<ChallengeStatus>('GET', `/v1/receipts/${encodeURIComponent(id)}/challenge`);
}

/** Polls a bonded challenge until it is resolved or failed (or `timeoutMs` passes: an error). */
export async function waitForChallenge(
  client: StoaClient,
  id: string,
  { pollMs = 1_000, timeoutMs = 30 * 60_000 }: { pollMs?: number; timeoutMs?: number } = {},
): Promise<ChallengeStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await challengeStatus(client, id);
    if (status.state === 'resolved' || status.state === 'failed') return status;
    if (Date.now() > deadline)
      throw new Error(`challenge of '${id}' still ${status.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
