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

/** Value `k` of attribute number `attribute` of a step's flattened attributes (TileOperands.attrValue). */
function attrValue(attrs: readonly bigint[], attribute: number, k: number): number {
  let at = 0;
  for (let a = 0; a < attribute; a++) at += 1 + Number(attrs[at]!);
  if (k >= Number(attrs[at] ?? 0n)) throw new Error(`step attribute ${attribute} has no value ${k}`);
  return Number(attrs[at + 1 + k]!);
}

/** What a step descriptor needs to say for `cropRows`: its op code, attributes and shapes. */
export interface CropStep {
  readonly op: number;
  readonly attrs: readonly bigint[];
  readonly inputTypes: readonly { readonly shape: readonly number[] }[];
  readonly outputType: { readonly shape: readonly number[] };
}

/**
 * The chunks of a Conv's (code 21) or ConvTranspose's (23) input 0 that TensorOpener._cropRows
 * reads for output elements [start, end): in every channel, the input rows that the tile's output
 * rows read. Undefined where the verifier cannot crop (batch > 1, a tile across two output
 * planes, rows the padding alone covers): such a tile opens one contiguous range.
 */
export function cropChunks(step: CropStep, width: number, start: number, end: number): number[] | undefined {
  if (step.op === 58 || step.op === 59) return channelRowChunks(step, width, start, end);
  if (step.op !== 21 && step.op !== 23) return undefined;
  const [n, channels, height, cols] = step.inputTypes[0]!.shape as [number, number, number, number];
  const [, , outH, outW] = step.outputType.shape as [number, number, number, number];
  const plane = outH * outW;
  if (n !== 1 || end <= start || Math.floor(start / plane) !== Math.floor((end - 1) / plane))
    return undefined;
  const i0 = Math.floor((start % plane) / outW);
  const i1 = Math.floor(((end - 1) % plane) / outW);
  const top = attrValue(step.attrs, 1, 0);
  const sh = attrValue(step.attrs, 0, 0);
  const kh = step.inputTypes[1]!.shape[2]!;
  let lo = i0 * sh - top;
  let hi: number;
  if (step.op === 21) hi = i1 * sh - top + (kh - 1) * attrValue(step.attrs, 2, 0);
  else {
    // ConvTranspose: output row y reads input row i where y = i·sh − top + u, u < kh.
    lo = i0 + top - kh + 1 <= 0 ? 0 : Math.floor((i0 + top - kh + sh) / sh);
    hi = Math.floor((i1 + top) / sh);
  }
  lo = Math.max(lo, 0);
  hi = Math.min(hi, height - 1);
  const newTop = step.op === 21 ? top + lo - i0 * sh : top + i0 - lo * sh;
  if (hi < lo || newTop < 0) return undefined;
  const rowBytes = cols * width;
  const chunks: number[] = [];
  for (let c = 0; c < channels; c++) {
    const [first, last] = chunksCovering((c * height + lo) * rowBytes, (c * height + hi + 1) * rowBytes);
    for (let k = Math.max(first, (chunks.at(-1) ?? -1) + 1); k <= last; k++) chunks.push(k);
  }
  return chunks;
}

/**
 * The chunks of a ConvAccumulate's (58) or ConvTransposeAccumulate's (59) input 0 that
 * ConvAccumulateVerifier._cropChannelRows reads for output elements [start, end) (a limb output
 * counts each position twice): in each of the link's input channels [start, start + c), the input
 * rows the tile's output rows read.
 * Undefined where the verifier cannot crop (batch > 1, a tile across two output planes, rows the
 * padding alone covers).
 */
function channelRowChunks(step: CropStep, width: number, start: number, end: number): number[] | undefined {
  const [n, , height, cols] = step.inputTypes[0]!.shape as [number, number, number, number];
  const [, links, kh] = step.inputTypes[1]!.shape as [number, number, number];
  const row = step.outputType.shape[3]! * (step.outputType.shape.length === 5 ? 2 : 1);
  const plane = step.outputType.shape[2]! * row;
  if (n !== 1 || end <= start || Math.floor(start / plane) !== Math.floor((end - 1) / plane))
    return undefined;
  const top = attrValue(step.attrs, 1, 0);
  const sh = attrValue(step.attrs, 0, 0);
  const [i0, i1] = [Math.floor((start % plane) / row), Math.floor(((end - 1) % plane) / row)];
  // ConvTransposeAccumulate: output row y reads input row a where y = a·sh − top + u, u < kh.
  const [first0, last0] =
    step.op === 58
      ? [i0 * sh - top, i1 * sh - top + (kh - 1) * attrValue(step.attrs, 2, 0)]
      : [i0 + top - kh + 1 <= 0 ? 0 : Math.floor((i0 + top - kh + sh) / sh), Math.floor((i1 + top) / sh)];
  const [lo, hi] = [Math.max(0, first0), Math.min(height - 1, last0)];
  if (hi < lo) return undefined;
  const first = attrValue(step.attrs, step.op === 58 ? 3 : 2, 0);
  const rowBytes = cols * width;
  const chunks: number[] = [];
  for (let c = first; c < first + links; c++) {
    const [a, b] = chunksCovering((c * height + lo) * rowBytes, (c * height + hi + 1) * rowBytes);
    for (let k = Math.max(a, (chunks.at(-1) ?? -1) + 1); k <= b; k++) chunks.push(k);
  }
  return chunks;
}

/**
 * Whether GatherVerifier reads input `input` of the step from listed chunks (any chunks, each
 * checked listed): Transpose's (41) input, and an input of Add, Sub or Mul (10–12) broadcast
 * along leading axes only (its shape, less leading 1s, the output's trailing axes).
 */
export function gathers(step: CropStep, input: number): boolean {
  if (step.op === 41) return input === 0;
  if (step.op < 10 || step.op > 12) return false;
  const xs = step.inputTypes[input]!.shape;
  const ys = step.outputType.shape;
  const p = xs.reduce((a, b) => a * b, 1);
  for (let k = 1, q = 1; q < p; k++) {
    if (k > xs.length || k > ys.length || xs[xs.length - k] !== ys[ys.length - k]) return false;
    q *= xs[xs.length - k]!;
  }
  return true;
}

/** The ABI form of `TensorOpening.chunks` opened as several ranges: the listed chunks' bytes. */
export function listedBytes(bytes: Uint8Array, chunks: readonly number[]): Uint8Array {
  const out = new Uint8Array(
    chunks.reduce((sum, k) => sum + Math.min(CHUNK_BYTES, bytes.length - k * CHUNK_BYTES), 0),
  );
  let at = 0;
  for (const k of chunks) {
    const part = bytes.subarray(k * CHUNK_BYTES, Math.min(bytes.length, (k + 1) * CHUNK_BYTES));
    out.set(part, at);
    at += part.length;
  }
  return out;
}
