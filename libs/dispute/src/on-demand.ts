import type { ExecutionView } from '@stoa/contracts';
import {
  boundaryDigest,
  type ExecutionBackend,
  execute,
  type IntTensor,
  type Model,
  makeReceipt,
  modelId,
  type Receipt,
  type SignedReceipt,
  tensorDigest,
  toHex,
} from '@stoa/ir';
import type { Address, Hex } from 'viem';

/**
 * Traces on demand (issue 14): a receipt whose trace root is zero binds the inputs and outputs
 * only; its node commits the trace root when a dispute opens, rebuilding the trace from the
 * inputs it journaled (execution is deterministic).
 */
export const ON_DEMAND_ROOT: Hex = `0x${'0'.repeat(64)}`;

export function isOnDemand(receipt: { readonly traceRoot: Hex }): boolean {
  return /^0x0{64}$/.test(receipt.traceRoot);
}

/**
 * What names a receipt's execution in a node's stores and URLs: its trace root, or, for an
 * on-demand receipt, its input digest (one model, one input: one execution).
 */
export function executionKey(receipt: { readonly traceRoot: Hex; readonly inputDigest: Hex }): Hex {
  return (isOnDemand(receipt) ? receipt.inputDigest : receipt.traceRoot).toLowerCase() as Hex;
}

const digestOf = (tensors: readonly IntTensor[]) =>
  boundaryDigest(tensors.map((t) => tensorDigest(t.dtype, t.data)));

/**
 * The hot path's receipt, to sign: the input and output digests with a zero trace root. No
 * intermediate value is hashed or kept.
 */
export function onDemandReceipt(
  model: Model,
  inputs: readonly IntTensor[],
  outputs: readonly IntTensor[],
  node: Address,
  nonce: bigint,
): Receipt {
  const execution = {
    modelId: modelId(model),
    inputDigest: digestOf(inputs),
    outputDigest: digestOf(outputs),
    traceRoot: new Uint8Array(32),
    steps: model.schedule.length,
  };
  return makeReceipt(execution, node, nonce);
}

/**
 * Re-executes an on-demand receipt from its inputs with a trace, and checks that the trace
 * starts from the receipt's inputs and ends in its outputs: a trace that does not would lose
 * the dispute, so it is refused here, naming the receipt.
 */
export async function rebuildView(
  model: Model,
  inputs: IntTensor[],
  receipt: SignedReceipt,
  backend?: ExecutionBackend,
): Promise<ExecutionView> {
  const done = await execute(model, inputs, { trace: true, ...(backend ? { backend } : {}) });
  const trace = done.trace!;
  for (const field of ['inputDigest', 'outputDigest'] as const) {
    const rebuilt = toHex(trace[field]);
    if (rebuilt !== receipt[field].toLowerCase())
      throw new Error(
        `the rebuilt trace of receipt ${receipt.inputDigest} (nonce ${receipt.nonce}) has ${field} ${rebuilt}, the receipt ${receipt[field]}`,
      );
  }
  return { model, values: done.values!, trace };
}
