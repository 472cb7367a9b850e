import { MsgMintACT } from '@akashnetwork/chain-sdk/private-types/akash.v1';
import { MsgCloseDeployment, MsgCreateDeployment } from '@akashnetwork/chain-sdk/private-types/akash.v1beta4';
import { MsgCreateLease } from '@akashnetwork/chain-sdk/private-types/akash.v1beta5';
import { encodeSecp256k1Pubkey, Secp256k1HdWallet } from '@cosmjs/amino';
import {
  DirectSecp256k1HdWallet,
  decodeTxRaw,
  type EncodeObject,
  encodePubkey,
  makeAuthInfoBytes,
  makeSignDoc,
  Registry,
} from '@cosmjs/proto-signing';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx.js';
import { UserError } from '../core/errors.js';

export const TYPE_CREATE_DEPLOYMENT = `/${MsgCreateDeployment.$type}`;
export const TYPE_CLOSE_DEPLOYMENT = `/${MsgCloseDeployment.$type}`;
export const TYPE_CREATE_LEASE = `/${MsgCreateLease.$type}`;
/** BME: burn AKT to mint ACT (the USD-pegged token deposits and prices are paid in since BME). */
export const TYPE_MINT_ACT = `/${MsgMintACT.$type}`;

/** Registry of the Akash messages this adapter signs (deployment v1beta4, market v1beta5). */
export function akashRegistry(): Registry {
  return new Registry([
    [TYPE_CREATE_DEPLOYMENT, MsgCreateDeployment as never],
    [TYPE_CLOSE_DEPLOYMENT, MsgCloseDeployment as never],
    [TYPE_CREATE_LEASE, MsgCreateLease as never],
    [TYPE_MINT_ACT, MsgMintACT as never],
  ]);
}

export interface AkashSigner {
  address: string;
  direct: DirectSecp256k1HdWallet;
  amino: Secp256k1HdWallet;
  pubkey: Uint8Array;
}

export async function signerFromMnemonic(mnemonic: string): Promise<AkashSigner> {
  try {
    const direct = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: 'akash' });
    const amino = await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix: 'akash' });
    const [acc] = await direct.getAccounts();
    return { address: acc!.address, direct, amino, pubkey: acc!.pubkey };
  } catch (e) {
    throw new UserError('bad-credentials', `the Akash mnemonic is not valid: ${(e as Error).message}`, {
      adapter: 'akash',
      hint: 'check the wallet mnemonic (24 BIP-39 words)',
    });
  }
}

export interface SignOptions {
  chainId: string;
  accountNumber: number;
  sequence: number;
  fee?: { amount: { denom: string; amount: string }[]; gas: string };
  memo?: string;
}

/** Sign messages offline (SIGN_MODE_DIRECT) and return the encoded TxRaw bytes. */
export async function signTx(
  signer: AkashSigner,
  msgs: EncodeObject[],
  opts: SignOptions,
): Promise<Uint8Array> {
  const registry = akashRegistry();
  const fee = opts.fee ?? { amount: [{ denom: 'uakt', amount: '5000' }], gas: '400000' };
  const bodyBytes = registry.encode({
    typeUrl: '/cosmos.tx.v1beta1.TxBody',
    value: { messages: msgs, memo: opts.memo ?? 'stoa' },
  });
  const pubkey = encodePubkey(encodeSecp256k1Pubkey(signer.pubkey));
  const authInfoBytes = makeAuthInfoBytes(
    [{ pubkey, sequence: opts.sequence }],
    fee.amount,
    Number(fee.gas),
    undefined,
    undefined,
  );
  const signDoc = makeSignDoc(bodyBytes, authInfoBytes, opts.chainId, opts.accountNumber);
  const { signed, signature } = await signer.direct.signDirect(signer.address, signDoc);
  return TxRaw.encode({
    bodyBytes: signed.bodyBytes,
    authInfoBytes: signed.authInfoBytes,
    signatures: [Buffer.from(signature.signature, 'base64')],
  }).finish();
}

/** Decode a signed tx back into its typed messages. */
export function decodeTx(bytes: Uint8Array) {
  const raw = decodeTxRaw(bytes);
  const registry = akashRegistry();
  return {
    raw,
    messages: raw.body.messages.map((m) => ({
      typeUrl: m.typeUrl,
      value: registry.decode(m) as Record<string, unknown>,
    })),
  };
}
