import { join } from 'node:path';
import { type ChainClient, chainClient, DEV_ACCOUNTS, emitted, feeEscrowArtifact } from '@stoa/contracts';
import type { Address, Hex, PrivateKeyAccount } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { feeEscrowOf, recordFeeEscrow } from '../chain/fee-escrow-record.js';
import type { FeeEscrowRef } from '../chain/fee-ledger.js';
import type { StoaConfig } from '../config/schema.js';
import type { StoaDb } from '../db/client.js';
import { readJson, writeJson } from './background.js';
import type { DevChain } from './services.js';

/** What a deployment's FeeEscrow account pays: per receipt, and at most in all (the cap). */
export interface FeeEscrowTerms {
  readonly pricePerReceiptWei: bigint;
  readonly capWei: bigint;
}

/**
 * The escrow terms a config asks for: `verification.feePerRequest` a receipt, never more than
 * `budget.maxFees` in all; undefined when the config sets no `budget.maxFees`.
 */
export function feeEscrowTerms(
  config: Pick<StoaConfig, 'budget' | 'verification'>,
): FeeEscrowTerms | undefined {
  const cap = config.budget.maxFees;
  return cap === undefined
    ? undefined
    : { pricePerReceiptWei: config.verification.feePerRequest, capWei: cap };
}

/** Opens a deployment's account on a FeeEscrow with `terms`, funded with the whole cap. */
export async function openFeeEscrow(
  client: ChainClient,
  owner: PrivateKeyAccount,
  escrow: Address,
  account: { readonly modelId: Hex; readonly voucherSigner: Address; readonly terms: FeeEscrowTerms },
): Promise<FeeEscrowRef> {
  const { pricePerReceiptWei, capWei } = account.terms;
  const args = [account.modelId, account.voucherSigner, pricePerReceiptWei, capWei];
  const opened = await client.send(owner, escrow, feeEscrowArtifact.abi, 'open', args, capWei);
  return {
    address: escrow,
    deploymentId: emitted(opened, escrow, 'DeploymentOpened').deploymentId as bigint,
  };
}

/** Anvil's default mnemonic: its accounts are public knowledge and never hold value. */
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/**
 * The dev gateway's voucher account (account 10 of anvil's mnemonic, which no node or operator
 * uses), exported as the secret reference `env:STOA_DEV_VOUCHER_KEY` for STOA_GATEWAY_VOUCHER_KEY.
 */
export function devVoucherAccount(): { readonly address: Address; readonly keyRef: string } {
  const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 10 });
  process.env.STOA_DEV_VOUCHER_KEY = `0x${Buffer.from(account.getHdKey().privateKey!).toString('hex')}`;
  return { address: account.address, keyRef: 'env:STOA_DEV_VOUCHER_KEY' };
}

/** The dev chain's FeeEscrow, deployed on first use and remembered in `.stoa/chain/fee-escrow.json`. */
async function devFeeEscrow(chain: DevChain, stoaDir: string): Promise<Address> {
  const client = chainClient(chain.rpcUrl);
  const file = join(stoaDir, 'chain', 'fee-escrow.json');
  const known = readJson<{ address: Address }>(file);
  if (known && (await client.reader.getCode({ address: known.address }))) return known.address;
  const address = await client.deploy(DEV_ACCOUNTS[0], feeEscrowArtifact, [chain.addresses.claimRegistry]);
  writeJson(file, { address });
  return address;
}

/**
 * The deploy engine's escrow step: opens the deployment's FeeEscrow account on the dev chain
 * with the config's budget as its cap, and records it; does nothing when one is recorded already
 * or the config sets no `budget.maxFees`.
 */
export async function ensureDeploymentEscrow(
  db: StoaDb,
  deploymentId: string,
  chain: DevChain,
  stoaDir: string,
  model: { readonly modelId: Hex; readonly config: Pick<StoaConfig, 'budget' | 'verification'> },
): Promise<FeeEscrowRef | undefined> {
  const terms = feeEscrowTerms(model.config);
  const recorded = await feeEscrowOf(db, deploymentId);
  if (!terms || recorded) return recorded;
  const escrow = await devFeeEscrow(chain, stoaDir);
  const account = { modelId: model.modelId, voucherSigner: devVoucherAccount().address, terms };
  const ref = await openFeeEscrow(chainClient(chain.rpcUrl), DEV_ACCOUNTS[0], escrow, account);
  await recordFeeEscrow(db, deploymentId, ref);
  return ref;
}
