import {
  type ChainClient,
  disputeGameArtifact,
  type ExecutionView,
  emitted,
  ReceiptBatch,
  receiptArg,
  receiptDomainOf,
  type StoaAddresses,
} from '@stoa/contracts';
import {
  execute,
  type IntTensor,
  type Model,
  modelId,
  type ReceiptDomain,
  type SignedReceipt,
  toHex,
  verifyReceipt,
} from '@stoa/ir';
import type { Hex, PrivateKeyAccount } from 'viem';
import { DisputePlayer } from './player.js';

/** Why a receipt is wrong, or that it is right. */
export type Verdict =
  | { readonly ok: true; readonly view: ExecutionView }
  | { readonly ok: false; readonly reason: string; readonly view?: ExecutionView };

/**
 * Checks a receipt the way any challenger can: its signature, its model, and its trace and
 * output against a recomputation from the inputs (which must match the receipt's inputDigest).
 * The returned view is the true execution, ready to play a dispute with.
 */
export async function checkReceipt(
  model: Model,
  receipt: SignedReceipt,
  inputs: IntTensor[],
  domain: ReceiptDomain,
): Promise<Verdict> {
  const { values, trace } = await execute(model, inputs, { trace: true });
  const view: ExecutionView = { model, values: values!, trace: trace! };
  if (toHex(trace!.inputDigest) !== receipt.inputDigest.toLowerCase()) {
    return { ok: false, reason: 'the inputs given do not match the receipt’s inputDigest: cannot judge it' };
  }
  if (!(await verifyReceipt(receipt, domain))) return { ok: false, reason: 'bad signature', view };
  if (toHex(modelId(model)) !== receipt.modelId.toLowerCase())
    return { ok: false, reason: 'wrong model', view };
  if (receipt.steps !== model.schedule.length) return { ok: false, reason: 'wrong step count', view };
  if (toHex(trace!.outputDigest) !== receipt.outputDigest.toLowerCase())
    return { ok: false, reason: 'wrong output', view };
  // A zero root: the trace is committed only if a dispute opens (issue 14, traces on demand),
  // so the output, checked above, is all the receipt claims.
  const onDemand = /^0x0{64}$/.test(receipt.traceRoot);
  if (!onDemand && toHex(trace!.traceRoot) !== receipt.traceRoot.toLowerCase())
    return { ok: false, reason: 'wrong trace', view };
  return { ok: true, view };
}

/**
 * Opens a dispute on receipt `index` of claim `claimId` (whose receipts, in batch order, are
 * `receipts`) and returns the player that will fight it from the true execution `view`.
 */
export async function openChallenge(options: {
  readonly client: ChainClient;
  readonly account: PrivateKeyAccount;
  readonly addresses: StoaAddresses;
  readonly claimId: bigint;
  readonly receipts: readonly SignedReceipt[];
  readonly index: number;
  readonly view: ExecutionView;
}): Promise<DisputePlayer> {
  const { addresses, receipts, index } = options;
  const batch = new ReceiptBatch(receipts, receiptDomainOf(addresses));
  return openWithProof({ ...options, receipt: receipts[index]!, proof: batch.proof(index) });
}

/** Opens a dispute on a receipt shown in a claim by `proof` (e.g. one revealed on chain). */
export async function openWithProof(options: {
  readonly client: ChainClient;
  readonly account: PrivateKeyAccount;
  readonly addresses: StoaAddresses;
  readonly claimId: bigint;
  readonly receipt: SignedReceipt;
  readonly index: number;
  readonly proof: readonly Hex[];
  readonly view: ExecutionView;
}): Promise<DisputePlayer> {
  const { client, account, addresses, claimId, receipt, index, proof, view } = options;
  const abi = disputeGameArtifact.abi;
  const bond = (await client.read(addresses.disputeGame, abi, 'challengeBond')) as bigint;
  const sent = await client.send(
    account,
    addresses.disputeGame,
    abi,
    'open',
    [claimId, receiptArg(receipt), receipt.signature, BigInt(index), proof],
    bond,
  );
  return new DisputePlayer({
    client,
    account,
    game: addresses.disputeGame,
    disputeId: emitted(sent, addresses.disputeGame, 'DisputeOpened').disputeId as bigint,
    role: 'challenger',
    view,
  });
}
