import { challengeBondsArtifact } from '@stoa/contracts';
import { createPublicClient, createWalletClient, type Hex, http, type LocalAccount } from 'viem';
import type { StoaClient } from '../client.js';
import { getChallengeTerms } from './challenge-terms.js';

export interface DepositBondParameters {
  /** The client's own account: it pays the deposit and later signs challenges. */
  readonly account: LocalAccount;
  /** Wei to deposit (at least one challenge bond to challenge once). */
  readonly amount: bigint;
  /** A JSON-RPC endpoint of the chain the gateway's contracts live on. */
  readonly rpcUrl: string;
}

export interface DepositBondReturnType {
  readonly hash: Hex;
  /** The client's deposit after this one, in wei. */
  readonly deposit: bigint;
}

/** Deposits challenge bonds into the gateway's ChallengeBonds contract, from the client's account. */
export async function depositBond(
  client: StoaClient,
  p: DepositBondParameters,
): Promise<DepositBondReturnType> {
  const { bonds } = await getChallengeTerms(client);
  const transport = http(p.rpcUrl);
  const wallet = createWalletClient({ account: p.account, transport });
  const reader = createPublicClient({ transport });
  const { abi } = challengeBondsArtifact;
  const hash = await wallet.writeContract({
    address: bonds,
    abi,
    functionName: 'deposit',
    value: p.amount,
    chain: null,
  });
  const mined = await reader.waitForTransactionReceipt({ hash });
  if (mined.status !== 'success') throw new Error(`deposit ${hash} reverted`);
  const deposit = await reader.readContract({
    address: bonds,
    abi,
    functionName: 'deposits',
    args: [p.account.address],
  });
  return { hash, deposit };
}
