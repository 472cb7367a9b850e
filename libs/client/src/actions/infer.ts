import type { StoaClient } from '../client.js';
import type { WireReceipt } from '../types.js';

export interface InferParameters {
  /** The model's name or modelId. */
  readonly model: string;
  /** One array of numbers per model input, in the node's body format. */
  readonly inputs: readonly (readonly number[])[];
  /** `replicate`: executed on two networks and compared before the answer is returned. */
  readonly verify?: 'replicate';
}

export interface InferReturnType {
  readonly id: string;
  readonly model: string;
  readonly modelId: string;
  readonly network: string;
  readonly outputs: { readonly shape: number[]; readonly data: number[]; readonly raw: number[] }[];
  readonly receipt: WireReceipt;
  readonly verification?: { readonly outcome: string; readonly checkNetwork?: string };
}

/**
 * Runs an inference through the gateway.
 * @example const { outputs, receipt } = await infer(client, { model: 'mnist', inputs: [pixels] })
 */
export function infer(client: StoaClient, p: InferParameters): Promise<InferReturnType> {
  return client.request<InferReturnType>(
    'POST',
    `/v1/models/${encodeURIComponent(p.model)}/infer`,
    { inputs: p.inputs },
    p.verify ? { 'x-stoa-verify': p.verify } : {},
  );
}
