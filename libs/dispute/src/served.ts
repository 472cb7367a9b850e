import { ReceiptBatch } from '@stoa/contracts';
import {
  dtypeInfo,
  type IntTensor,
  type Model,
  makeTensor,
  type ReceiptDomain,
  type SignedReceipt,
} from '@stoa/ir';
import { type Hex, isAddress, isHex } from 'viem';

/**
 * Checks on what a node serves a watcher (issue 18, finding 6). A node may answer anything:
 * nothing, garbage, a list that is not its claim, something slow or huge. Each check says what
 * is wrong in words, so that the watcher can record it and escalate on chain instead of
 * trusting or stopping.
 */

/** Resolves to the answer, or to an Error (thrown, or after `ms`), never rejects. */
export async function ask<T>(what: () => Promise<T>, ms: number): Promise<T | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      what().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const hex32 = (v: unknown) => typeof v === 'string' && isHex(v) && v.length === 66;

function receiptProblem(r: unknown, i: number): string | undefined {
  if (typeof r !== 'object' || r === null) return `receipt ${i} is not an object`;
  const x = r as Record<string, unknown>;
  for (const f of ['modelId', 'inputDigest', 'outputDigest', 'traceRoot'] as const)
    if (!hex32(x[f])) return `receipt ${i}: field '${f}' is not 32 bytes of hex`;
  if (typeof x.steps !== 'number' || !Number.isInteger(x.steps) || x.steps < 0 || x.steps >= 2 ** 32)
    return `receipt ${i}: field 'steps' is not a uint32`;
  if (typeof x.node !== 'string' || !isAddress(x.node)) return `receipt ${i}: field 'node' is not an address`;
  if (typeof x.nonce !== 'bigint' || x.nonce < 0n || x.nonce >= 2n ** 64n)
    return `receipt ${i}: field 'nonce' is not a uint64`;
  if (typeof x.signature !== 'string' || !isHex(x.signature) || x.signature.length !== 132)
    return `receipt ${i}: field 'signature' is not 65 bytes of hex`;
  return undefined;
}

/**
 * Why a served receipt list is not the claim's (undefined when it is): it must be a list of
 * well-formed receipts, exactly as many as the claim states, whose tree is the claim's root.
 */
export function servedListProblem(
  served: unknown,
  claim: { readonly batchRoot: Hex; readonly receipts: number },
  domain: ReceiptDomain,
): string | undefined {
  if (served instanceof Error) return served.message;
  if (served === undefined) return 'the node did not serve the list';
  if (!Array.isArray(served)) return 'the answer is not a list';
  // Checked before anything else is looked at: a huge answer costs no more than a wrong count.
  if (served.length !== claim.receipts)
    return `${served.length} receipts served, the claim states ${claim.receipts}`;
  for (const [i, r] of served.entries()) {
    const problem = receiptProblem(r, i);
    if (problem) return problem;
  }
  const root = new ReceiptBatch(served as SignedReceipt[], domain).root;
  if (root.toLowerCase() !== claim.batchRoot.toLowerCase())
    return `the served list's root ${root} is not the claim's ${claim.batchRoot}`;
  return undefined;
}

/**
 * Pairs of indexes holding the same receipt (one EIP-712 digest, under any signatures) in one
 * list (the first pair), if any.
 */
export function duplicateIn(batch: ReceiptBatch, count: number): [number, number] | undefined {
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const digest = batch.digest(i);
    const first = seen.get(digest);
    if (first !== undefined) return [first, i];
    seen.set(digest, i);
  }
  return undefined;
}

/** Why served inputs cannot be run (undefined when they can): the model's input types, exactly. */
export function inputsProblem(model: Model, inputs: unknown): string | undefined {
  if (inputs instanceof Error) return inputs.message;
  if (inputs === undefined) return 'the node did not serve the inputs';
  const expected = [...model.graph.inputs].map((n) => model.graph.nodeTypes[n]!);
  if (!Array.isArray(inputs) || inputs.length !== expected.length)
    return `expected ${expected.length} input tensors`;
  for (const [i, t] of (inputs as IntTensor[]).entries()) {
    const want = expected[i]!;
    if (
      typeof t !== 'object' ||
      t === null ||
      t.dtype !== want.dtype ||
      !(t.data instanceof Int32Array) ||
      !Array.isArray(t.shape) ||
      t.shape.join(',') !== want.shape.join(',') ||
      t.data.length !== want.shape.reduce((a, b) => a * b, 1)
    )
      return `input ${i} is not a ${want.dtype} tensor of shape [${want.shape.join(', ')}]`;
  }
  return undefined;
}

/** Input tensors from the bytes a node revealed on chain (ClaimRegistry InputsRevealed). */
export function inputsFromBytes(model: Model, tensors: readonly Hex[]): IntTensor[] | Error {
  const types = [...model.graph.inputs].map((n) => model.graph.nodeTypes[n]!);
  if (tensors.length !== types.length)
    return new Error(`${tensors.length} tensors revealed, the model has ${types.length} inputs`);
  try {
    return types.map((type, i) => {
      const bytes = Buffer.from(tensors[i]!.slice(2), 'hex');
      const width = dtypeInfo(type.dtype).bytes;
      const values = new Int32Array(bytes.length / width);
      for (let k = 0; k < values.length; k++) values[k] = bytes.readIntLE(k * width, width);
      return makeTensor(type.dtype, type.shape, values);
    });
  } catch (error) {
    return error as Error;
  }
}
