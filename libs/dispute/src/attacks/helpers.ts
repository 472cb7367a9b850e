import {
  chainClient,
  DEV_PARAMETERS,
  type ExecutionView,
  type GameFixture,
  honestView,
  type LocalChain,
  type ProtocolParameters,
  receiptDigest,
  setUpGame,
  signView,
} from '@stoa/contracts';
import { type ReceiptDomain, randomGraph, type SignedReceipt } from '@stoa/ir';
import type { PrivateKeyAccount } from 'viem';
import { mnemonicToAccount, setSignEntropy } from 'viem/accounts';

/** Anvil's default mnemonic: its ten funded dev accounts, public knowledge, never hold value. */
const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

/** Anvil account `i` as a signing account (0..9 are funded at start). */
export function anvilAccount(i: number): PrivateKeyAccount {
  return mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: i }) as unknown as PrivateKeyAccount;
}

/** A deployment with a small random model registered and staked by `node`. */
export async function smallGame(
  chain: LocalChain,
  node: PrivateKeyAccount,
  parameters: Partial<ProtocolParameters> = {},
): Promise<GameFixture> {
  const { model } = randomGraph(3);
  return setUpGame(chain, chainClient(chain.rpcUrl), anvilAccount(0), node, model, {
    ...DEV_PARAMETERS,
    ...parameters,
  });
}

/** A fresh honest execution of the fixture's model, signed by its node with `nonce`. */
export async function honestReceipt(
  f: GameFixture,
  nonce: bigint,
  seed = Number(nonce),
): Promise<{ view: ExecutionView; receipt: SignedReceipt }> {
  // The same model on other inputs: the first element of each input varies with the seed.
  const inputs = randomGraph(3).inputs.map((t) => {
    const data = t.data.slice();
    data[0] = (seed % 100) - 50;
    return { ...t, data };
  });
  const view = await honestView(f.model, inputs);
  return { view, receipt: await signView(f, view, nonce) };
}

/**
 * The same receipt under another valid signature, as an equivocating node makes it: ECDSA
 * signs with any nonce k, so one digest has many low-s signatures. viem's switch to random k is
 * process-wide; vitest runs each test file in its own process, and random-k signatures are as
 * valid as RFC 6979 ones, so later signatures of the file stay valid.
 */
export async function resign(
  receipt: SignedReceipt,
  account: PrivateKeyAccount,
  domain: ReceiptDomain,
): Promise<SignedReceipt> {
  setSignEntropy(true);
  const signature = await account.sign({ hash: receiptDigest(receipt, domain) });
  if (signature.toLowerCase() === receipt.signature.toLowerCase())
    throw new Error('random-k signing returned the deterministic signature');
  return { ...receipt, signature };
}
