import type { ReceiptDomain } from '@stoa/ir';
import type { DeployedModel } from '../routing/catalog.js';
import type { WireReceipt } from '../routing/forward.js';
import type { ReplicaState } from '../routing/replica.js';
import type { StakeCheck } from './stake.js';
import { createReceiptRecoverer, type ReceiptSigner } from './verify.js';

/**
 * The gateway's check of a node's receipt before the answer leaves: it is signed by the node
 * it names, for this deployment's model, by the node behind this replica (learned from the
 * replica's /health), and that node is staked. Returns why not, or undefined when it passes.
 */
export async function receiptChecker(domain: ReceiptDomain, stake: StakeCheck) {
  const recover = await createReceiptRecoverer(domain);
  // Each replica node's public key, once recovered: later receipts are verified against it.
  const known = new Map<string, ReceiptSigner>();
  return async (model: DeployedModel, receipt: WireReceipt | undefined, replica: ReplicaState) => {
    if (!receipt || typeof receipt !== 'object') return 'no receipt';
    if (String(receipt.modelId).toLowerCase() !== model.modelId)
      return `receipt is for model ${receipt.modelId}`;
    const recovered = recover(receipt, replica.node ? known.get(replica.node) : undefined);
    if (!recovered || recovered.address !== String(receipt.node).toLowerCase()) return 'bad signature';
    const signer = recovered.address;
    if (known.size < 10_000) known.set(signer, recovered);
    if (signer !== replica.node) return `signed by ${signer}, not by this replica's node`;
    const staked = stake.cached(signer) ?? (await stake.refresh(signer));
    return staked ? undefined : `node ${signer} is not staked`;
  };
}
