import {
  type ChainClient,
  claimRegistryArtifact,
  ReceiptBatch,
  receiptArg,
  receiptDomainOf,
  type StoaAddresses,
} from '@stoa/contracts';
import { type Model, type SignedReceipt, tensorBytes, toHex } from '@stoa/ir';
import type { Hex, PrivateKeyAccount } from 'viem';
import type { Claimer } from './claimer.js';
import { executionKey, isOnDemand } from './on-demand.js';

const abi = claimRegistryArtifact.abi;

/** ClaimRegistry.DemandKind. */
export const DemandKind = { Inclusion: 1, Receipt: 2, Inputs: 3 } as const;

interface DemandState {
  readonly kind: number;
  readonly settled: boolean;
  readonly claimId: bigint;
  readonly index: number;
  readonly subject: Hex;
}

export interface DemandAnswererOptions {
  readonly client: ChainClient;
  readonly account: PrivateKeyAccount;
  readonly addresses: StoaAddresses;
  /** The node's claimer: its batches, pending receipts and the traces of both. */
  readonly claimer: Claimer;
  readonly models: (modelId: Hex) => Model | undefined;
}

/**
 * Answers the demands made of a node on chain (issue 18, "reveal or lose"): a receipt of one of
 * its claims, the inputs of one, or the claim that holds a receipt a client was given (posting
 * the pending batch first when the receipt is not claimed yet). A node that lets a demand lapse
 * is slashed, so an honest node answers every one it can; `problems` says which it cannot.
 */
export class DemandAnswerer {
  private nextBlock = 0n;
  private readonly open = new Set<bigint>();
  readonly answered = new Set<bigint>();
  readonly problems = new Map<bigint, string>();

  constructor(private readonly options: DemandAnswererOptions) {}

  /**
   * Finds new demands on this node and answers every open one. `latest`: the chain's block
   * number, when the caller has just read it (the node reads it once per tick for every poller).
   */
  async poll(latest?: bigint): Promise<void> {
    await this.discover(latest);
    await Promise.all([...this.open].map((demandId) => this.answerOne(demandId)));
  }

  private async discover(known?: bigint): Promise<void> {
    const { client, addresses, account } = this.options;
    const latest = known ?? (await client.reader.getBlockNumber());
    if (latest < this.nextBlock) return;
    const logs = (await client.reader.getContractEvents({
      address: addresses.claimRegistry,
      abi,
      eventName: 'Demanded',
      args: { node: account.address },
      fromBlock: this.nextBlock,
      toBlock: latest,
    } as never)) as unknown as { args: { demandId: bigint; node: Hex } }[];
    this.nextBlock = latest + 1n;
    for (const { args } of logs)
      if (args.node.toLowerCase() === account.address.toLowerCase()) this.open.add(args.demandId);
  }

  private async answerOne(demandId: bigint): Promise<void> {
    const { client, addresses, account } = this.options;
    try {
      const demand = (await client.read(addresses.claimRegistry, abi, 'getDemand', [
        demandId,
      ])) as DemandState;
      if (demand.settled) {
        this.open.delete(demandId);
        return;
      }
      const [fn, args] = await this.answerFor(demandId, demand);
      await client.send(account, addresses.claimRegistry, abi, fn, args);
      this.open.delete(demandId);
      this.answered.add(demandId);
      this.problems.delete(demandId);
    } catch (error) {
      // viem's first two lines name the function and the contract's error.
      this.problems.set(demandId, (error as Error).message.split('\n').slice(0, 2).join(' '));
    }
  }

  private async answerFor(demandId: bigint, d: DemandState): Promise<[string, unknown[]]> {
    if (d.kind === DemandKind.Inclusion) {
      const found = (await this.locate(d.subject)) ?? (await this.postPending(d.subject));
      if (!found) throw new Error(`demand ${demandId}: this node never signed the receipt ${d.subject}`);
      const { signature } = found.batch.receipts[found.index]!;
      return [
        'answerInclusion',
        [demandId, found.claimId, found.index, signature, found.batch.proof(found.index)],
      ];
    }
    const receipts = this.options.claimer.receiptsOf(d.claimId);
    if (!receipts) throw new Error(`demand ${demandId}: claim ${d.claimId} is not this node's`);
    const batch = this.batchOf(receipts);
    const receipt = receipts[d.index]!;
    if (d.kind === DemandKind.Receipt)
      return ['answerReceipt', [demandId, receiptArg(receipt), receipt.signature, batch.proof(d.index)]];
    return ['answerInputs', [demandId, await this.inputsOf(receipt)]];
  }

  /** The input tensors' bytes of a claimed receipt, from the node's journal or trace store. */
  private async inputsOf(receipt: SignedReceipt): Promise<Hex[]> {
    const model = this.options.models(receipt.modelId);
    const traced = isOnDemand(receipt)
      ? undefined
      : await this.options.claimer.traces.get(receipt.traceRoot.slice(2));
    const stored =
      this.options.claimer.inputsOfReceipt(receipt)?.map((t) => t.data) ??
      (model && traced ? [...model.graph.inputs].map((n) => traced.values[n]!) : undefined);
    if (!model || !stored)
      throw new Error(
        `the execution of receipt ${executionKey(receipt)} (nonce ${receipt.nonce}) is not kept`,
      );
    return [...model.graph.inputs].map((n, i) =>
      toHex(tensorBytes(model.graph.nodeTypes[n]!.dtype, stored[i]!)),
    );
  }

  private batchOf(receipts: readonly SignedReceipt[]): ReceiptBatch {
    const { addresses } = this.options;
    return new ReceiptBatch(receipts, receiptDomainOf(addresses));
  }

  /** The claim and index holding the receipt whose EIP-712 digest is `digest`, if posted. */
  private async locate(digest: Hex) {
    for (const b of this.options.claimer.batches()) {
      if (b.claimId === undefined) continue;
      const batch = this.batchOf(b.receipts);
      const index = b.receipts.findIndex((_, i) => batch.digest(i).toLowerCase() === digest.toLowerCase());
      if (index >= 0) return { claimId: b.claimId, index, batch };
    }
    return undefined;
  }

  /** A demanded receipt still pending: post its batch now, then find it. */
  private async postPending(digest: Hex) {
    const pending = this.options.claimer.pending;
    if (pending.length === 0) return undefined;
    const batch = this.batchOf(pending);
    const at = pending.findIndex((_, i) => batch.digest(i).toLowerCase() === digest.toLowerCase());
    if (at < 0) return undefined;
    await this.options.claimer.flush(pending[at]!.modelId);
    return this.locate(digest);
  }
}
