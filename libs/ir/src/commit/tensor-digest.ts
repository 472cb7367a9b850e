import type { DType } from '../dtype.js';
import { tensorBytes } from '../tensor.js';
import { sha256, u64be } from './hash.js';
import { merkleRoot } from './merkle.js';

/** Tensors are committed in chunks of this many bytes, so one chunk can be opened alone. */
export const CHUNK_BYTES = 1024;
const TENSOR = Uint8Array.of(2);

export function chunksOf(bytes: Uint8Array, chunkBytes = CHUNK_BYTES): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, at + chunkBytes));
  return chunks;
}

/** H(0x02 ‖ byteLength as u64 ‖ Merkle root of the 1 KiB chunks of the canonical bytes). */
export function digestBytes(bytes: Uint8Array): Uint8Array {
  return sha256(TENSOR, u64be(bytes.length), merkleRoot(chunksOf(bytes)));
}

export function tensorDigest(dtype: DType, data: Int32Array): Uint8Array {
  return digestBytes(tensorBytes(dtype, data));
}
