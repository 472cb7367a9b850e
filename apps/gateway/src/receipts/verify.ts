import { createRequire } from 'node:module';
import { RECEIPT_TYPEHASH, type ReceiptDomain, receiptDomainSeparator, type SignedReceipt } from '@stoa/ir';
import { createKeccak } from 'hash-wasm';
import { hexToBytes } from 'viem';

interface Secp256k1 {
  ecdsaRecover(signature: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaVerify(signature: Uint8Array, msg32: Uint8Array, publicKey: Uint8Array): boolean;
}
const secp256k1 = createRequire(import.meta.url)('secp256k1') as Secp256k1;

const RECEIPT_TYPEHASH_BYTES = hexToBytes(RECEIPT_TYPEHASH);

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
 * The receipt's EIP-712 digest, encoded directly and hashed in WebAssembly, and the signer
 * recovered with libsecp256k1: viem's `verifyReceipt` takes about a millisecond here, the whole
 * latency budget the gateway has (issue 12, must show 1); this takes tens of microseconds.
 */
export async function createReceiptRecoverer(domain: ReceiptDomain): Promise<ReceiptRecoverer> {
  const hasher = await createKeccak(256);
  const keccak = (data: Uint8Array): Uint8Array => {
    hasher.init();
    hasher.update(data);
    return hasher.digest('binary');
  };
  const envelope = Buffer.alloc(66);
  envelope.write('1901', 0, 'hex');
  envelope.write(receiptDomainSeparator(domain).slice(2), 2, 32, 'hex');
  // Exactly `bytes` bytes of 0x-prefixed hex: Buffer's hex decoding stops at the first pair that
  // is not hex, so a full count with the exact length means every character was hex.
  const word = (hex: string, into: Buffer, at: number, bytes = 32) => {
    if (
      typeof hex !== 'string' ||
      hex.length !== 2 + 2 * bytes ||
      hex[0] !== '0' ||
      (hex[1] !== 'x' && hex[1] !== 'X') ||
      into.write(hex.slice(2), at, bytes, 'hex') !== bytes
    )
      throw new Error('malformed');
  };
  // One buffer reused for every receipt (the check is synchronous): its zero bytes (the padding
  // of steps, node and nonce) are never written.
  const struct = Buffer.alloc(256);
  struct.set(RECEIPT_TYPEHASH_BYTES, 0);
  return (receipt, known) => {
    try {
      word(receipt.modelId, struct, 32);
      word(receipt.inputDigest, struct, 64);
      word(receipt.outputDigest, struct, 96);
      word(receipt.traceRoot, struct, 128);
      struct.writeUInt32BE(receipt.steps, 188);
      word(receipt.node, struct, 204, 20);
      struct.writeBigUInt64BE(BigInt(receipt.nonce), 248);
      envelope.set(keccak(struct), 34);
      const digest = keccak(envelope);
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
