import type { StepDescriptor } from '@stoa/contracts';
import { encodeAbiParameters, type Hex, keccak256 } from 'viem';

/**
 * The public-signal layout every tile circuit shares, mirrored bit for bit by
 * contracts/src/zk/ZkVerifier.sol: a circuit proves one *block* of output elements; its public
 * signals are pack31(input stream) ‖ pack31(output bytes), where the input stream is built
 * from the block's input bytes by the op's rule below.
 */

export const OP = { Relu: 13, MatMul: 20, Conv: 21, MaxPool: 30, Reshape: 40 } as const;
const DTYPE_I8 = 1;
const DTYPE_I32 = 3;

/** Bytes per field element: 31 bytes stay below the BN254 scalar field (≈ 2^253.6). */
export const PACK_BYTES = 31;

/** Groups of 31 bytes, each read as a big-endian integer (the last group may be shorter). */
export function pack31(bytes: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let k = 0; k < bytes.length; k += PACK_BYTES) {
    let value = 0n;
    for (let i = k; i < Math.min(bytes.length, k + PACK_BYTES); i++)
      value = (value << 8n) | BigInt(bytes[i]!);
    out.push(value);
  }
  return out;
}

const fracAt = (fracs: Hex, index: number): number => {
  const bytes = Buffer.from(fracs.slice(2), 'hex');
  return bytes.length === 1 ? bytes.readInt8(0) : bytes.readInt8(index);
};

/** s = fx + fw[channel] − fo: the requantization shift of one output channel. */
export function channelShift(step: StepDescriptor, channel: number): number {
  return (
    fracAt(step.inputTypes[0]!.fracs, 0) +
    fracAt(step.inputTypes[1]!.fracs, channel) -
    fracAt(step.outputType.fracs, 0)
  );
}

/** The circuits' S: the largest shift over the channels (at least 1). */
export function maxShift(step: StepDescriptor): number {
  if (step.op !== OP.Conv && step.op !== OP.MatMul) return 0;
  let best = 1;
  for (let c = 0; c < step.inputTypes[1]!.shape[0]!; c++) {
    const s = channelShift(step, c);
    if (s < 0)
      throw new Error(`step ${step.index}: channel ${c} has a negative shift ${s}; no circuit rounds that`);
    best = Math.max(best, s);
  }
  return best;
}

/** Throws naming what the tile circuits do not cover (the contract's UnsupportedStep). */
export function checkSupported(step: StepDescriptor): void {
  const fail = (reason: string) => {
    throw new Error(`step ${step.index} (op ${step.op}): ${reason}`);
  };
  if (step.outputType.dtype !== DTYPE_I8) fail('output must be i8');
  if (step.inputTypes[0]!.dtype !== DTYPE_I8) fail('input 0 must be i8');
  const a = step.attrs.map(Number);
  if (step.op === OP.Conv) {
    if (a[1] !== 1 || a[2] !== 1) fail('strides must be 1');
    if (a[5] !== a[4] || a[6] !== a[4] || a[7] !== a[4]) fail('pads must be equal');
    if (a[9] !== 1 || a[10] !== 1 || a[12] !== 1) fail('dilation and group must be 1');
    if (step.inputTypes[0]!.shape[0] !== 1) fail('batch must be 1');
  } else if (step.op === OP.MaxPool) {
    if (a[1] !== 2 || a[2] !== 2 || a[4] !== 2 || a[5] !== 2) fail('kernel and strides must be 2x2');
    if (a[7] !== 0 || a[8] !== 0 || a[9] !== 0 || a[10] !== 0) fail('pads must be 0');
    const [, , h, w] = step.inputTypes[0]!.shape;
    if (h! % 2 !== 0 || w! % 2 !== 0) fail('input height and width must be even');
  } else if (step.op !== OP.MatMul && step.op !== OP.Relu && step.op !== OP.Reshape) {
    fail('no circuit for this op');
  }
  if (step.op === OP.Conv || step.op === OP.MatMul) {
    if (step.inputTypes[1]!.dtype !== DTYPE_I8) fail('weights must be i8');
    if (step.inputTypes.length > 2 && step.inputTypes[2]!.dtype !== DTYPE_I32) fail('bias must be i32');
  }
}

/** ZkVerifier.circuitKey: which circuit proves tiles of `step`. */
export function circuitKey(step: StepDescriptor): Hex {
  checkSupported(step);
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'uint16' },
        { type: 'int64[]' },
        { type: 'uint32[][]' },
        { type: 'uint32[]' },
        { type: 'uint256' },
      ],
      [
        step.op,
        [...step.attrs],
        step.inputTypes.map((t) => [...t.shape]),
        [...step.outputType.shape],
        BigInt(maxShift(step)),
      ],
    ),
  );
}

/** Output elements one proof covers: rows × Wo for Conv and MaxPool, else the block size. */
export function blockElements(step: StepDescriptor, blockParam: number): number {
  return step.op === OP.Conv || step.op === OP.MaxPool ? blockParam * step.outputType.shape[3]! : blockParam;
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The input stream of block `block`: the bytes the circuit reads, built from the canonical
 * bytes of the step's inputs exactly as ZkVerifier._inputStream builds it on-chain.
 */
export function inputStream(
  step: StepDescriptor,
  inputs: readonly Uint8Array[],
  block: number,
  blockParam: number,
): Uint8Array {
  const copy = (into: Uint8Array, at: number, from: Uint8Array, start: number, count: number) => {
    const end = Math.min(start + count, from.length);
    if (end > start) into.set(from.subarray(start, end), at);
  };
  const x = inputs[0]!;
  switch (step.op) {
    case OP.Relu:
    case OP.Reshape: {
      const stream = new Uint8Array(blockParam);
      copy(stream, 0, x, block * blockParam, blockParam);
      return stream;
    }
    case OP.MaxPool: {
      const n = 2 * blockParam * step.inputTypes[0]!.shape[3]!;
      const stream = new Uint8Array(n);
      copy(stream, 0, x, block * n, n);
      return stream;
    }
    case OP.Conv: {
      const [, c, h, w] = step.inputTypes[0]!.shape as [number, number, number, number];
      const [, cg, kh, kw] = step.inputTypes[1]!.shape as [number, number, number, number];
      const ho = step.outputType.shape[2]!;
      const pad = Number(step.attrs[4]);
      const rows = blockParam + kh - 1;
      const weights = cg * kh * kw;
      const perChannel = ho / blockParam;
      const o = Math.floor(block / perChannel);
      const i0 = (block % perChannel) * blockParam;
      const stream = new Uint8Array(c * rows * w + weights + 5);
      let at = 0;
      for (let ci = 0; ci < c; ci++) {
        for (let r = 0; r < rows; r++) {
          const y = i0 + r - pad;
          if (y >= 0 && y < h) copy(stream, at, x, (ci * h + y) * w, w);
          at += w;
        }
      }
      copy(stream, at, inputs[1]!, o * weights, weights);
      if (inputs[2]) copy(stream, at + weights, inputs[2], o * 4, 4);
      stream[at + weights + 4] = channelShift(step, o);
      return stream;
    }
    case OP.MatMul: {
      const [n, k] = step.inputTypes[1]!.shape as [number, number];
      const perRow = n / blockParam;
      const m = Math.floor(block / perRow);
      const n0 = (block % perRow) * blockParam;
      const stream = new Uint8Array(k + blockParam * k + 5 * blockParam);
      copy(stream, 0, x, m * k, k);
      copy(stream, k, inputs[1]!, n0 * k, blockParam * k);
      if (inputs[2]) copy(stream, k + blockParam * k, inputs[2], n0 * 4, 4 * blockParam);
      for (let i = 0; i < blockParam; i++)
        stream[k + blockParam * k + 4 * blockParam + i] = channelShift(step, n0 + i);
      return stream;
    }
    default:
      throw new Error(`step ${step.index}: no circuit for op ${step.op}`);
  }
}

/** Block indices covering output elements [start, end). */
export function blocksOf(step: StepDescriptor, blockParam: number, start: number, end: number): number[] {
  const per = blockElements(step, blockParam);
  const blocks: number[] = [];
  for (let b = Math.floor(start / per); b <= Math.floor((end - 1) / per); b++) blocks.push(b);
  return blocks;
}

export { elements as elementCount };
