export {
  type BondedChallengeParameters,
  type ChallengeReturnType,
  challenge,
} from './actions/challenge.js';
export {
  type ChallengeState,
  type ChallengeStatus,
  challengeStatus,
  waitForChallenge,
} from './actions/challenge-status.js';
export { type ChallengeTerms, getChallengeTerms } from './actions/challenge-terms.js';
export {
  type DepositBondParameters,
  type DepositBondReturnType,
  depositBond,
} from './actions/deposit-bond.js';
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

import { type BondedChallengeParameters, type ChallengeReturnType, challenge } from './actions/challenge.js';
import { type ChallengeStatus, challengeStatus, waitForChallenge } from './actions/challenge-status.js';
import { type DepositBondParameters, depositBond } from './actions/deposit-bond.js';
import { getReceipt } from './actions/get-receipt.js';
import { type InferParameters, infer } from './actions/infer.js';
import type { StoaClient } from './client.js';

/** The actions bound to one client: `const stoa = stoaActions(createStoaClient({ … }))`. */
export const stoaActions = (c: StoaClient) => ({
  infer: (p: InferParameters) => infer(c, p),
  getReceipt: (id: string) => getReceipt(c, id),
  challenge: ((id: string, bonded?: BondedChallengeParameters) =>
    bonded ? challenge(c, id, bonded) : challenge(c, id)) as {
    (id: string): Promise<ChallengeReturnType>;
    (id: string, bonded: BondedChallengeParameters): Promise<ChallengeStatus>;
  },
  depositBond: (p: DepositBondParameters) => depositBond(c, p),
  challengeStatus: (id: string) => challengeStatus(c, id),
  waitForChallenge: (id: string, o?: { pollMs?: number; timeoutMs?: number }) => waitForChallenge(c, id, o),
});
