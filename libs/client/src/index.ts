export { type ChallengeReturnType, challenge } from './actions/challenge.js';
export { type GetReceiptReturnType, getReceipt } from './actions/get-receipt.js';
export { type InferParameters, type InferReturnType, infer } from './actions/infer.js';
export {
  type VerifyReceiptParameters,
  type VerifyReceiptReturnType,
  verifyReceipt,
} from './actions/verify-receipt.js';
export { createStoaClient, type StoaClient, type StoaClientConfig } from './client.js';
export { StoaError } from './errors/base.js';
export { toReceipt, type WireReceipt } from './types.js';

import { type ChallengeReturnType, challenge } from './actions/challenge.js';
import { getReceipt } from './actions/get-receipt.js';
import { type InferParameters, infer } from './actions/infer.js';
import type { StoaClient } from './client.js';

/** The actions bound to one client: `const stoa = stoaActions(createStoaClient({ … }))`. */
export const stoaActions = (c: StoaClient) => ({
  infer: (p: InferParameters) => infer(c, p),
  getReceipt: (id: string) => getReceipt(c, id),
  challenge: (id: string): Promise<ChallengeReturnType> => challenge(c, id),
});
