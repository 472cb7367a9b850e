import type { SignedReceipt } from '@stoa/ir';
import { type Address, type Hex, hashTypedData, type LocalAccount, recoverTypedDataAddress } from 'viem';
import { receiptArg } from '../game/batch.js';

/**
 * A client's consent to one challenge paid from its deposit in ChallengeBonds
 * (contracts/src/ChallengeBonds.sol): the receipt (its EIP-712 digest), the most bond it will
 * pay, the agent that may open and play the dispute, a deadline (unix seconds) and a nonce.
 */
export interface ChallengeAuthorization {
  readonly receiptDigest: Hex;
  readonly maxBond: bigint;
  readonly agent: Address;
  readonly deadline: bigint;
  readonly nonce: bigint;
}

export interface ChallengeDomain {
  readonly chainId: number;
  /** The ChallengeBonds contract (`DisputeGame.bonds()`). */
  readonly verifyingContract: Address;
}

export const CHALLENGE_AUTHORIZATION_TYPES = {
  ChallengeAuthorization: [
    { name: 'receiptDigest', type: 'bytes32' },
    { name: 'maxBond', type: 'uint256' },
    { name: 'agent', type: 'address' },
    { name: 'deadline', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
  ],
} as const;

function typedData(authorization: ChallengeAuthorization, domain: ChallengeDomain) {
  return {
    domain: { name: 'Stoa Challenges', version: '1', ...domain },
    types: CHALLENGE_AUTHORIZATION_TYPES,
    primaryType: 'ChallengeAuthorization' as const,
    message: authorization,
  };
}

/** The digest the client signs (what `ChallengeBonds.authorizationDigest` returns). */
export function challengeAuthorizationDigest(
  authorization: ChallengeAuthorization,
  domain: ChallengeDomain,
): Hex {
  return hashTypedData(typedData(authorization, domain));
}

export function signChallengeAuthorization(
  account: LocalAccount,
  authorization: ChallengeAuthorization,
  domain: ChallengeDomain,
): Promise<Hex> {
  return account.signTypedData(typedData(authorization, domain));
}

/** Who signed `authorization` (compare with the client it claims to come from). */
export function challengeAuthorizer(
  authorization: ChallengeAuthorization,
  signature: Hex,
  domain: ChallengeDomain,
): Promise<Address> {
  return recoverTypedDataAddress({ ...typedData(authorization, domain), signature });
}

/**
 * The arguments of `ChallengeBonds.openAuthorized`: the client, its signed authorization, and
 * the receipt at `index` of claim `claimId` with its batch proof.
 */
export function openAuthorizedArgs(
  client: Address,
  authorization: ChallengeAuthorization,
  clientSignature: Hex,
  opening: { claimId: bigint; receipt: SignedReceipt; index: number; proof: readonly Hex[] },
) {
  return [
    client,
    authorization,
    clientSignature,
    {
      claimId: opening.claimId,
      receipt: receiptArg(opening.receipt),
      receiptSignature: opening.receipt.signature,
      leafIndex: BigInt(opening.index),
      batchProof: opening.proof,
    },
  ] as const;
}
