import { fromHex, sha256, toHex } from '../commit/hash.js';
import { merkleRoot } from '../commit/merkle.js';
import type { Receipt, SignedReceipt } from '../trace/receipt.js';
import type { SamplingParams } from './sampling.js';

type Hex = `0x${string}`;

/** What one generated token commits to: its step's signed execution and the sampler's pick. */
export interface TokenStep {
  /** The step receipt's inputDigest (the window) and outputDigest (the logits). */
  readonly inputDigest: Hex;
  readonly outputDigest: Hex;
  /** The logits row the sampler read. */
  readonly position: number;
  readonly token: number;
}

const TOKEN_LEAF = Uint8Array.of(0x10);
const GENERATION_INPUT = Uint8Array.of(0x11);
const GENERATION_OUTPUT = Uint8Array.of(0x12);

function words(...values: (number | bigint)[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  for (const [k, v] of values.entries()) view.setBigUint64(8 * k, BigInt(v));
  return out;
}

function ids(tokens: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * tokens.length);
  const view = new DataView(out.buffer);
  for (const [k, t] of tokens.entries()) view.setUint32(4 * k, t);
  return out;
}

/**
 * Leaf data of token `index`: H(0x10 ‖ index ‖ position ‖ token ‖ inputDigest ‖ outputDigest).
 * The draw number of the sampler is the leaf's index, so it is committed by position in the tree.
 */
export function tokenLeaf(index: number, step: TokenStep): Uint8Array {
  return sha256(
    TOKEN_LEAF,
    words(index, step.position, step.token),
    fromHex(step.inputDigest),
    fromHex(step.outputDigest),
  );
}

/** Merkle root over the token leaves, in generation order (libs/ir's SHA-256 tree). */
export function tokenRoot(steps: readonly TokenStep[]): Uint8Array {
  return merkleRoot(steps.map((s, i) => tokenLeaf(i, s)));
}

/** H(0x11 ‖ temperatureMilli ‖ seed ‖ prompt token ids as u32): what the generation starts from. */
export function generationInputDigest(promptTokens: readonly number[], sampling: SamplingParams): Uint8Array {
  return sha256(GENERATION_INPUT, words(sampling.temperatureMilli, sampling.seed), ids(promptTokens));
}

/** H(0x12 ‖ generated token ids as u32). */
export function generationOutputDigest(tokens: readonly number[]): Uint8Array {
  return sha256(GENERATION_OUTPUT, ids(tokens));
}

/**
 * A generation as one EIP-712 receipt of the usual shape, so it is signed, batched and claimed
 * like any answer: inputDigest binds the prompt and the sampling parameters, outputDigest every
 * generated token, traceRoot the per-token tree (what a dispute descends to the first disputed
 * token) and steps the token count.
 */
export function generationReceiptFields(
  modelId: Hex,
  promptTokens: readonly number[],
  sampling: SamplingParams,
  steps: readonly TokenStep[],
): Omit<Receipt, 'node' | 'nonce'> {
  return {
    modelId,
    inputDigest: toHex(generationInputDigest(promptTokens, sampling)),
    outputDigest: toHex(generationOutputDigest(steps.map((s) => s.token))),
    traceRoot: toHex(tokenRoot(steps)),
    steps: steps.length,
  };
}

/** A signed receipt as JSON carries it: the nonce as a decimal string. */
export type WireReceipt = Omit<SignedReceipt, 'nonce'> & { readonly nonce: string };

/**
 * A generation's receipt as nodes and gateways exchange it: `generation` is the one signed
 * receipt (generationReceiptFields), `tokenSteps` its token leaves, `steps` the signed execution
 * receipt of each token's forward pass (input = the window it read, output = the logits).
 */
export interface GenerationReceiptJson {
  readonly modelId: string;
  readonly node: string;
  readonly promptTokens: number[];
  readonly tokens: number[];
  readonly sampling: {
    readonly method: 'greedy' | 'sample';
    readonly temperatureMilli: number;
    readonly seed: string;
  };
  readonly generation: WireReceipt;
  readonly tokenSteps: TokenStep[];
  readonly steps: WireReceipt[];
}
