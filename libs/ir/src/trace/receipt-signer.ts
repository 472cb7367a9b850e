import { createRequire } from 'node:module';
import { createKeccak } from 'hash-wasm';
import { type Address, domainSeparator, type Hex, keccak256, toBytes } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Receipt, ReceiptDomain, SignedReceipt } from './receipt.js';

/** libsecp256k1 through its maintained binding (a prebuilt addon; pure-JS elliptic if it cannot load). */
interface Secp256k1 {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
}
const secp256k1 = createRequire(import.meta.url)('secp256k1') as Secp256k1;

const RECEIPT_TYPEHASH = keccak256(
  toBytes(
    'Receipt(bytes32 modelId,bytes32 inputDigest,bytes32 outputDigest,bytes32 traceRoot,uint32 steps,address node,uint64 nonce)',
  ),
  'bytes',
);

/** Signs receipts with one node key for one domain, fast enough to sign every answer. */
export interface ReceiptSigner {
  readonly address: Address;
  sign(receipt: Receipt): SignedReceipt;
}

const bytes32 = (hex: string, into: Buffer, at: number) => {
  if (into.write(hex.slice(2), at, 32, 'hex') !== 32) throw new Error(`not 32 bytes of hex: ${hex}`);
};

/**
 * The same EIP-712 signature as `signReceipt` (RFC 6979 nonces, so byte for byte the same), with
 * the domain separator computed once and the struct encoded directly: viem's generic typed-data
 * path and its JavaScript secp256k1 take ≈ 1 ms per receipt here, this ≈ 0.06 ms — the whole
 * budget of a small model's inference.
 */
export async function createReceiptSigner(privateKey: Hex, domain: ReceiptDomain): Promise<ReceiptSigner> {
  // Keccak-256 in WebAssembly: 4 µs per call here against 22 µs for viem's JavaScript one.
  const hasher = await createKeccak(256);
  const keccak = (data: Uint8Array): Uint8Array => {
    hasher.init();
    hasher.update(data);
    return hasher.digest('binary');
  };
  const address = privateKeyToAccount(privateKey).address;
  const key = Buffer.from(privateKey.slice(2), 'hex');
  const separator = domainSeparator({
    domain: {
      name: 'Stoa',
      version: '1',
      chainId: domain.chainId,
      verifyingContract: domain.verifyingContract,
    },
  });
  // 0x1901 ‖ domain separator ‖ struct hash, and the struct: type hash ‖ seven 32-byte words.
  const envelope = Buffer.alloc(66);
  envelope.write('1901', 0, 'hex');
  bytes32(separator, envelope, 2);
  return {
    address,
    sign(receipt) {
      if (receipt.node.toLowerCase() !== address.toLowerCase())
        throw new Error(`receipt names node ${receipt.node} but the signing key is ${address}`);
      const struct = Buffer.alloc(256);
      struct.set(RECEIPT_TYPEHASH, 0);
      bytes32(receipt.modelId, struct, 32);
      bytes32(receipt.inputDigest, struct, 64);
      bytes32(receipt.outputDigest, struct, 96);
      bytes32(receipt.traceRoot, struct, 128);
      struct.writeUInt32BE(receipt.steps, 188);
      if (struct.write(receipt.node.slice(2), 204, 20, 'hex') !== 20)
        throw new Error(`not an address: ${receipt.node}`);
      struct.writeBigUInt64BE(receipt.nonce, 248);
      envelope.set(keccak(struct), 34);
      const { signature, recid } = secp256k1.ecdsaSign(keccak(envelope), key);
      return {
        ...receipt,
        signature: `0x${Buffer.from(signature).toString('hex')}${(27 + recid).toString(16)}`,
      };
    },
  };
}
