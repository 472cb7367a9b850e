import { createRequire } from 'node:module';
import { type Address, type Hex, hexToBytes } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { NoncePool, SECP256K1_N } from './nonce-pool.js';
import {
  RECEIPT_TYPEHASH,
  type Receipt,
  type ReceiptDomain,
  receiptDomainSeparator,
  type SignedReceipt,
} from './receipt.js';

/** libsecp256k1 through its maintained binding (a prebuilt addon; pure-JS elliptic if it cannot load). */
interface Secp256k1 {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
}
/** Loaded by the first signer: importing @stoa/ir (every `stoa` command with a config does) need not load the addon. */
let secp256k1: Secp256k1 | undefined;

const RECEIPT_TYPEHASH_BYTES = hexToBytes(RECEIPT_TYPEHASH);

/** Signs receipts with one node key for one domain, fast enough to sign every answer. */
export interface ReceiptSigner {
  readonly address: Address;
  sign(receipt: Receipt): SignedReceipt;
  /** Stops the nonce worker, if there is one (it never keeps a process alive either way). */
  close(): Promise<void>;
}

export interface ReceiptSignerOptions {
  /**
   * How ECDSA nonces are chosen. 'rfc6979' (the default): derived from the key and the digest,
   * so a receipt always gets the same signature (viem's, byte for byte). 'precomputed': drawn
   * from the CSPRNG and multiplied out on a worker thread ahead of time, so that signing on the
   * request path is two modular multiplications (≈ 10 µs against ≈ 40 µs); signatures verify
   * the same (low s, as ecrecover wants) but differ between two signings of one receipt. Falls
   * back to 'rfc6979' for a signature whenever the pool is empty. docs/decisions.md, "Receipt
   * signatures with precomputed nonces".
   */
  readonly nonces?: 'rfc6979' | 'precomputed';
}

const HALF_N = SECP256K1_N >> 1n;
const word = (value: bigint) => value.toString(16).padStart(64, '0');

/** s = k⁻¹(z + r·d) mod n, normalized to the lower half (flipping the recovery id with it). */
function signWithNonce(digest: Uint8Array, secret: bigint, pool: NoncePool): string | undefined {
  const nonce = pool.take();
  if (!nonce) return undefined;
  const z = BigInt(`0x${Buffer.from(digest).toString('hex')}`);
  let s = (nonce.kInverse * ((z + nonce.r * secret) % SECP256K1_N)) % SECP256K1_N;
  if (s === 0n) return undefined;
  let yOdd = nonce.yOdd;
  if (s > HALF_N) {
    s = SECP256K1_N - s;
    yOdd = !yOdd;
  }
  return `0x${word(nonce.r)}${word(s)}${yOdd ? '1c' : '1b'}`;
}

/** A receipt as the digester takes it: the nonce a bigint, or a decimal string as it travels. */
export type DigestibleReceipt = Omit<Receipt, 'nonce'> & { readonly nonce: bigint | string };

/**
 * The EIP-712 digest of receipts in one domain, as the node signs it (libs/ir receipt.ts;
 * contracts/src/Receipts.sol): keccak(0x1901 ‖ domain separator ‖ keccak(type hash ‖ the seven
 * fields as words)), the separator computed once and the struct written straight into a buffer.
 * Keccak-256 in WebAssembly: 4 µs per call here against 22 µs for viem's JavaScript one, which
 * with its hex conversions made a 256-receipt claim's digests ~13 ms of a node's event loop.
 * Every word must be 0x and exactly its width in hex (a longer one is refused, not cut). Each
 * call returns a fresh 32-byte array.
 */
export async function createReceiptDigester(
  domain: ReceiptDomain,
): Promise<(receipt: DigestibleReceipt) => Uint8Array> {
  const hasher = await (await import('hash-wasm')).createKeccak(256);
  const keccak = (data: Uint8Array): Uint8Array => {
    hasher.init();
    hasher.update(data);
    return hasher.digest('binary');
  };
  // 0x1901 ‖ domain separator ‖ struct hash, and the struct: type hash ‖ seven 32-byte words.
  const envelope = Buffer.alloc(66);
  envelope.write('1901', 0, 'hex');
  exactHex('domain separator', receiptDomainSeparator(domain), envelope, 2);
  // Reused for every receipt (digesting is synchronous): its zero bytes, the padding of steps,
  // node and nonce, are never written.
  const struct = Buffer.alloc(256);
  struct.set(RECEIPT_TYPEHASH_BYTES, 0);
  return (receipt) => {
    exactHex('modelId', receipt.modelId, struct, 32);
    exactHex('inputDigest', receipt.inputDigest, struct, 64);
    exactHex('outputDigest', receipt.outputDigest, struct, 96);
    exactHex('traceRoot', receipt.traceRoot, struct, 128);
    if (!Number.isInteger(receipt.steps) || receipt.steps < 0 || receipt.steps >= 2 ** 32)
      throw new Error(`receipt steps ${receipt.steps} is not a uint32`);
    struct.writeUInt32BE(receipt.steps, 188);
    exactHex('node', receipt.node, struct, 204, 20);
    const nonce = typeof receipt.nonce === 'bigint' ? receipt.nonce : decimal(receipt.nonce);
    if (nonce === undefined || nonce < 0n || nonce >= 2n ** 64n)
      throw new Error(`receipt nonce ${receipt.nonce} is not a uint64`);
    struct.writeBigUInt64BE(nonce, 248);
    envelope.set(keccak(struct), 34);
    return keccak(envelope);
  };
}

/**
 * Writes `hex` (0x and exactly `bytes` bytes) at `at`. Buffer's hex decoding stops at the first
 * pair that is not hex, so a full count from a string of the exact length means all of it was.
 */
function exactHex(field: string, hex: string, into: Buffer, at: number, bytes = 32): void {
  if (
    typeof hex !== 'string' ||
    hex.length !== 2 + 2 * bytes ||
    hex[0] !== '0' ||
    (hex[1] !== 'x' && hex[1] !== 'X') ||
    into.write(hex.slice(2), at, bytes, 'hex') !== bytes
  )
    throw new Error(`receipt ${field} ${String(hex).slice(0, 80)} is not ${bytes} bytes of 0x hex`);
}

function decimal(text: string): bigint | undefined {
  return /^\d{1,20}$/.test(text) ? BigInt(text) : undefined;
}

/**
 * The same EIP-712 signature as `signReceipt` (RFC 6979 nonces, so byte for byte the same), with
 * the digest from `createReceiptDigester`: viem's generic typed-data path and its JavaScript
 * secp256k1 take ≈ 1 ms per receipt here, this ≈ 0.06 ms — the whole budget of a small model's
 * inference.
 */
export async function createReceiptSigner(
  privateKey: Hex,
  domain: ReceiptDomain,
  options: ReceiptSignerOptions = {},
): Promise<ReceiptSigner> {
  const pool = options.nonces === 'precomputed' ? await NoncePool.open() : undefined;
  const secret = BigInt(privateKey);
  const digestOf = await createReceiptDigester(domain);
  secp256k1 ??= createRequire(import.meta.url)('secp256k1') as Secp256k1;
  const ecdsa = secp256k1;
  const address = privateKeyToAccount(privateKey).address;
  const key = Buffer.from(privateKey.slice(2), 'hex');
  return {
    address,
    sign(receipt) {
      if (receipt.node.toLowerCase() !== address.toLowerCase())
        throw new Error(`receipt names node ${receipt.node} but the signing key is ${address}`);
      const digest = digestOf(receipt);
      const fast = pool && signWithNonce(digest, secret, pool);
      if (fast) return { ...receipt, signature: fast as Hex };
      const { signature, recid } = ecdsa.ecdsaSign(digest, key);
      return {
        ...receipt,
        signature: `0x${Buffer.from(signature).toString('hex')}${(27 + recid).toString(16)}`,
      };
    },
    close: async () => {
      await pool?.close();
    },
  };
}
