import {
  chainClient,
  DEV_PARAMETERS,
  type ExecutionView,
  type GameFixture,
  honestView,
  type LocalChain,
  type ProtocolParameters,
  setUpGame,
  signView,
} from '@stoa/contracts';
import { randomGraph, type SignedReceipt } from '@stoa/ir';
import type { PrivateKeyAccount } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

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
