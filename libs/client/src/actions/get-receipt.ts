import type { StoaClient } from '../client.js';
import type { WireReceipt } from '../types.js';

export interface GetReceiptReturnType {
  readonly id: string;
  readonly modelId: string;
  readonly network: string;
  readonly node: string;
  readonly receipt: WireReceipt;
}

/** A receipt the gateway returned to this key, by the request id. */
export function getReceipt(client: StoaClient, id: string): Promise<GetReceiptReturnType> {
  return client.request<GetReceiptReturnType>('GET', `/v1/receipts/${encodeURIComponent(id)}`);
}
