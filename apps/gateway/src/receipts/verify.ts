import { createRequire } from 'node:module';
import { createReceiptDigester, type ReceiptDomain, type SignedReceipt } from '@stoa/ir';
import { createKeccak } from 'hash-wasm';

interface Secp256k1 {
  ecdsaRecover(signature: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaVerify(signature: Uint8Array, msg32: Uint8Array, publicKey: Uint8Array): boolean;
}
const secp256k1 = createRequire(import.meta.url)('secp256k1') as Secp256k1;

/** A receipt's signer, with the public key that signed (65 bytes, uncompressed). */
export interface ReceiptSigner {
  readonly address: string;
  readonly publicKey: Uint8Array;
}

/**
 * Recovers who signed a receipt (EIP-712), or undefined when it cannot; with `publicKey` (a
 * signer recovered before), checks the signature against that key instead — about a third
 * cheaper than a recovery — and answers it as the signer when it holds. The nonce may be given
 * as it travels (a decimal string) or as a bigint.
 */
export type ReceiptRecoverer = (
  receipt: Omit<SignedReceipt, 'nonce'> & { readonly nonce: bigint | string },
  known?: ReceiptSigner,
) => ReceiptSigner | undefined;

/**
 * The receipt's EIP-712 digest as the node computes it (libs/ir `createReceiptDigester`: encoded
 * directly, every word exactly its width, hashed in WebAssembly), and the signer recovered with
 * libsecp256k1: viem's `verifyReceipt` takes about a millisecond here, the whole
 * latency budget the gateway has (issue 12, must show 1); this takes tens of microseconds.
 */
export async function createReceiptRecoverer(domain: ReceiptDomain): Promise<ReceiptRecoverer> {
  const hasher = await createKeccak(256);
  const keccak = (data: Uint8Array): Uint8Array => {
    hasher.init();
    hasher.update(data);
    return hasher.digest('binary');
  };
  const digestOf = await createReceiptDigester(domain);
  return (receipt, known) => {
    try {
      const digest = digestOf(receipt);
      const signature = Buffer.from(receipt.signature.slice(2), 'hex');
      if (signature.length !== 65) return undefined;
      // libsecp256k1's verify takes only low-s signatures; any other goes through recovery.
      if (known && secp256k1.ecdsaVerify(signature.subarray(0, 64), digest, known.publicKey)) return known;
      const v = signature[64]!;
      const publicKey = secp256k1.ecdsaRecover(
        signature.subarray(0, 64),
        v >= 27 ? v - 27 : v,
        digest,
        false,
      );
      const address = `0x${Buffer.from(keccak(publicKey.subarray(1)))
        .subarray(12)
        .toString('hex')}`;
      return { address, publicKey };
    } catch {
      return undefined;
    }
  };
}
