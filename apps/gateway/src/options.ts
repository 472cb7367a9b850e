import type { ChainClient, StoaAddresses } from '@stoa/contracts';
import type { StoaDb } from '@stoa/sdk';
import type { PrivateKeyAccount } from 'viem';
import type { VoucherOptions } from './receipts/voucher.js';

export interface GatewayOptions {
  readonly db: StoaDb;
  /** The secret API keys are HMAC'd under (the same one `stoa keys create` used). */
  readonly keySecret: Buffer;
  /** The secret each deployment's node credential is derived from (sdk `gatewayCredential`). */
  readonly gatewaySecret: Buffer;
  /** The chain the receipts are signed for and the nodes are staked on. */
  readonly chain: { readonly client: ChainClient; readonly addresses: StoaAddresses };
  readonly host?: string;
  readonly port?: number;
  /** Where this instance spools usage before it reaches the database (one directory per instance). */
  readonly spoolDir: string;
  readonly instanceId?: string;
  readonly flushMs?: number;
  /** How often the key change counters are polled (default 250 ms; revocation shows within ~this). */
  readonly keyPollMs?: number;
  readonly upstreamTimeoutMs?: number;
  /**
   * Coalesced batches kept in flight to each replica (routing/coalesce.ts; default 2; 1 sends each
   * turn whole): with n, a batch takes at most 1/n of the replica's outstanding inferences, and
   * never fewer than 4 (MIN_SPLIT_BATCH).
   */
  readonly batchesInFlight?: number;
  readonly maxBodyBytes?: number;
  /** USD charged per request against spend caps; wei metered per request. */
  readonly pricePerRequestUsd?: number;
  readonly pricePerRequestWei?: bigint;
  /** Spot checks: the fraction of requests replayed on another network's replica. */
  readonly spotCheckRate?: number;
  /** The account that opens disputes when a spot check finds a liar (pays the bond). */
  readonly challenger?: PrivateKeyAccount;
  /** How long `POST /v1/receipts/{id}/challenge` with a client's bond waits for the dispute to open (30 s). */
  readonly challengeOpenWaitMs?: number;
  /** Vouch for every answered request's receipt, so the fee escrow pays its node (issue 19). */
  readonly voucher?: VoucherOptions;
  readonly random?: () => number;
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** Serves `/v1/completions` and `/v1/chat/completions` (openai/routes.ts) when set. */
  readonly textGenerator?: import('./openai/text-generator.js').TextGenerator;
  /**
   * Tokenizers of deployed language models, by deployment name: their OpenAI routes generate on
   * the deployment's nodes (openai/on-nodes.ts). Ignored when `textGenerator` is set.
   */
  readonly tokenizers?: Readonly<Record<string, import('./openai/node-text-generator.js').TextTokenizer>>;
}
