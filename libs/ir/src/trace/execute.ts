import type { LocalAccount } from 'viem';
import { modelId } from '../encoding/codec.js';
import { run } from '../interpreter.js';
import type { Model } from '../model.js';
import type { IntTensor } from '../tensor.js';
import { makeReceipt, type ReceiptDomain, type SignedReceipt, signReceipt } from './receipt.js';
import type { ReceiptSigner } from './receipt-signer.js';
import { buildTrace, type Trace } from './trace.js';

/** Anything that computes every node of a model: the reference interpreter or a fast backend. */
export interface ExecutionBackend {
  run(inputs: IntTensor[]): Promise<{ outputs: IntTensor[]; values: readonly (Int32Array | undefined)[] }>;
}

export function referenceBackend(model: Model): ExecutionBackend {
  return {
    run: async (inputs) => {
      const result = run(model, inputs, { keepIntermediates: true });
      return { outputs: result.outputs, values: result.values! };
    },
  };
}

export interface ExecuteOptions {
  /** Commit to the execution (trace root, state roots). Implied by `sign`. */
  readonly trace?: boolean;
  /** Sign a receipt for the traced execution with this node key (a `ReceiptSigner` is ≈ 15× faster). */
  readonly sign?:
    | { readonly account: LocalAccount; readonly domain: ReceiptDomain; readonly nonce: bigint }
    | { readonly signer: ReceiptSigner; readonly nonce: bigint };
  /** Defaults to the reference interpreter. */
  readonly backend?: ExecutionBackend;
}

export interface Execution {
  readonly outputs: IntTensor[];
  readonly trace?: Trace;
  /** Every node's value, kept when traced so that the trace can be stored and opened later. */
  readonly values?: readonly (Int32Array | undefined)[];
  readonly receipt?: SignedReceipt;
}

/** The executor API every layer above uses: run, optionally trace, optionally sign. */
export async function execute(
  model: Model,
  inputs: IntTensor[],
  options: ExecuteOptions = {},
): Promise<Execution> {
  const backend = options.backend ?? referenceBackend(model);
  const { outputs, values } = await backend.run(inputs);
  if (!options.trace && !options.sign) return { outputs };
  const trace = buildTrace(model, values);
  if (!options.sign) return { outputs, trace, values };
  const sign = options.sign;
  const node = 'signer' in sign ? sign.signer.address : sign.account.address;
  const unsigned = makeReceipt({ modelId: modelId(model), ...trace }, node, sign.nonce);
  const receipt =
    'signer' in sign ? sign.signer.sign(unsigned) : await signReceipt(unsigned, sign.account, sign.domain);
  return { outputs, trace, values, receipt };
}
