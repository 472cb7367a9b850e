import { CHUNK_BYTES, toHex } from '@stoa/ir';
import type { Hex } from 'viem';

/**
 * The ABI form of `Window` in contracts/src/onestep/StepTypes.sol: consecutive canonical bytes
 * of one tensor, starting at byte `firstByte`.
 */
export interface WindowArg {
  readonly firstByte: bigint;
  readonly data: Hex;
}

/** The whole tensor. */
export function fullWindow(bytes: Uint8Array): WindowArg {
  return { firstByte: 0n, data: toHex(bytes) };
}

/** Bytes [firstByte, endByte) of the tensor, clipped to its length. */
export function byteWindow(bytes: Uint8Array, firstByte: number, endByte: number): WindowArg {
  const from = Math.max(0, Math.min(firstByte, bytes.length));
  const to = Math.max(from, Math.min(endByte, bytes.length));
  return { firstByte: BigInt(from), data: toHex(bytes.subarray(from, to)) };
}

/** Elements first..last (inclusive) of a tensor of `width`-byte elements. */
export function elementWindow(bytes: Uint8Array, width: number, first: number, last: number): WindowArg {
  return byteWindow(bytes, first * width, (last + 1) * width);
}

/**
 * Chunks firstChunk..lastChunk (inclusive) of the tensor's 1024-byte chunks (docs/semantics.md
 * §5): what a party opens against the tensor's digest in a dispute.
 */
export function chunkWindow(bytes: Uint8Array, firstChunk: number, lastChunk: number): WindowArg {
  return byteWindow(bytes, firstChunk * CHUNK_BYTES, (lastChunk + 1) * CHUNK_BYTES);
}

/** The chunks that cover bytes [firstByte, endByte). */
export function chunksCovering(firstByte: number, endByte: number): [number, number] {
  return [
    Math.floor(firstByte / CHUNK_BYTES),
    Math.floor((Math.max(endByte, firstByte + 1) - 1) / CHUNK_BYTES),
  ];
}
