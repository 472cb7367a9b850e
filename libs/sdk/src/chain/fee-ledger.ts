import { claimRegistryArtifact, feeEscrowArtifact } from '@stoa/contracts';
import { type Address, createPublicClient, type Hex, http, type Log } from 'viem';

/** A deployment's account in a FeeEscrow contract (`FeeEscrow.open` returned its id). */
export interface FeeEscrowRef {
  readonly address: Address;
  readonly deploymentId: bigint;
}

/** Where a deployment's fees are read: the chain, its ClaimRegistry and the escrow account. */
export interface FeeChain {
  readonly rpcUrl: string;
  readonly claimRegistry: Address;
  readonly escrow: FeeEscrowRef;
}

/** One claim of the escrow's model, with what the chain did to it and what the escrow paid. */
export interface ClaimFees {
  readonly claimId: bigint;
  readonly node: Address;
  readonly receipts: number;
  readonly state: 'pending' | 'finalized' | 'rejected';
  /** Receipts the escrow held for it (funds and cap allowing); undefined when never reserved. */
  readonly reserved?: number;
  /** The `Settled` event's count of paid receipts and wei; undefined when not settled. */
  readonly settled?: { readonly paid: number; readonly amountWei: bigint };
}

/** The escrow account's state (`FeeEscrow.get`) and every claim of its model. */
export interface FeeLedger {
  readonly modelId: Hex;
  readonly pricePerReceiptWei: bigint;
  readonly capWei: bigint;
  readonly paidWei: bigint;
  readonly availableWei: bigint;
  readonly reservedWei: bigint;
  readonly claims: ClaimFees[];
}

type Decoded = Log & { eventName: string; args: Record<string, unknown> };

/**
 * Reads a deployment's fee ledger from the chain's events only: the claims posted for the
 * escrow's model (ClaimPosted), their fate (ClaimFinalized, ClaimRejected) and what the escrow
 * reserved and paid for each (Reserved, Settled of this escrow account).
 */
export async function readFeeLedger(chain: FeeChain): Promise<FeeLedger> {
  const client = createPublicClient({ transport: http(chain.rpcUrl) });
  const { address, deploymentId } = chain.escrow;
  const account = (await client.readContract({
    address,
    abi: feeEscrowArtifact.abi,
    functionName: 'get',
    args: [deploymentId],
  } as never)) as {
    modelId: Hex;
    pricePerReceipt: bigint;
    cap: bigint;
    paid: bigint;
    available: bigint;
    reserved: bigint;
  };
  const events = (contract: Address, abi: unknown, args?: Record<string, unknown>) =>
    client.getContractEvents({
      address: contract,
      abi,
      fromBlock: 0n,
      ...(args ? { args } : {}),
    } as never) as unknown as Promise<Decoded[]>;
  const [claimLogs, escrowLogs] = await Promise.all([
    events(chain.claimRegistry, claimRegistryArtifact.abi),
    events(address, feeEscrowArtifact.abi, { deploymentId }),
  ]);
  return {
    modelId: account.modelId,
    pricePerReceiptWei: account.pricePerReceipt,
    capWei: account.cap,
    paidWei: account.paid,
    availableWei: account.available,
    reservedWei: account.reserved,
    claims: claimsOf(account.modelId, claimLogs, escrowLogs),
  };
}

function claimsOf(modelId: Hex, claimLogs: Decoded[], escrowLogs: Decoded[]): ClaimFees[] {
  const claims = new Map<bigint, { -readonly [K in keyof ClaimFees]: ClaimFees[K] }>();
  for (const { eventName, args } of claimLogs) {
    const id = args.claimId as bigint;
    if (eventName === 'ClaimPosted' && (args.modelId as string).toLowerCase() === modelId.toLowerCase()) {
      claims.set(id, {
        claimId: id,
        node: args.node as Address,
        receipts: Number(args.receipts),
        state: 'pending',
      });
    }
    const claim = claims.get(id);
    if (claim && eventName === 'ClaimFinalized') claim.state = 'finalized';
    if (claim && eventName === 'ClaimRejected') claim.state = 'rejected';
  }
  for (const { eventName, args } of escrowLogs) {
    const claim = claims.get(args.claimId as bigint);
    if (!claim) continue;
    if (eventName === 'Reserved') claim.reserved = Number(args.receipts);
    if (eventName === 'Settled') {
      claim.settled = { paid: Number(args.paid), amountWei: args.amount as bigint };
    }
  }
  return [...claims.values()];
}
