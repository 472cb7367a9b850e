import { join } from 'node:path';
import type { SecretRef } from '@stoa/sdk';
import { z } from 'zod';

const secretRef = z
  .string()
  .regex(
    /^(env:[A-Z_][A-Z0-9_]*|file:.+)$/,
    "must reference a secret ('env:NAME' or 'file:path'), never hold it",
  )
  .transform((s) => s as SecretRef);

const EnvSchema = z.object({
  STOA_GATEWAY_LISTEN: z
    .string()
    .regex(/^[^:]+:\d{1,5}$/, 'must be host:port')
    .default('127.0.0.1:8787'),
  /** The project's .stoa directory: the SQLite database and the API key secret live there by default. */
  STOA_DIR: z.string().min(1).default('.stoa'),
  DATABASE_URL: z.string().min(1).optional(),
  STOA_RPC_URL: z.url({ message: 'must be the chain’s JSON-RPC URL' }),
  STOA_CONTRACTS_FILE: z.string().min(1, 'must name the contract addresses file'),
  /** The secret each deployment's node credential is derived from, by reference. */
  STOA_GATEWAY_SECRET: secretRef,
  STOA_GATEWAY_SPOOL_DIR: z.string().min(1).optional(),
  STOA_GATEWAY_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** How often the gateway settles finalized claims' fees (with a voucher key and an escrow). */
  STOA_GATEWAY_SETTLE_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  STOA_GATEWAY_BATCHES_IN_FLIGHT: z.coerce.number().int().min(1).max(8).default(2),
  STOA_GATEWAY_SPOT_CHECK_RATE: z.coerce.number().min(0).max(1).default(0.01),
  /** How long an instance holds a client challenge without renewing (see GatewayOptions.challengeLeaseMs). */
  STOA_GATEWAY_CHALLENGE_LEASE_MS: z.coerce.number().int().min(300).max(600_000).default(6_000),
  /** The key of the account that opens disputes on spot-check mismatches, by reference. */
  STOA_GATEWAY_CHALLENGER_KEY: secretRef.optional(),
  /** The key that vouches for requests to the fee escrow, by reference; with the escrow's address. */
  STOA_GATEWAY_VOUCHER_KEY: secretRef.optional(),
  STOA_FEE_ESCROW: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be the FeeEscrow contract address')
    .optional(),
  /**
   * Text models' tokenizers, `model=path.json` separated by commas (a vocabulary file as
   * examples/gpt writes it): each named model is served on `/v1/completions` and
   * `/v1/chat/completions`, generated on its deployment's nodes.
   */
  STOA_GATEWAY_TOKENIZERS: z
    .string()
    .regex(/^[^=,]+=[^,]+(,[^=,]+=[^,]+)*$/, "must be 'model=path/to/tokenizer.json', comma-separated")
    .optional(),
});

export type GatewayConfig = ReturnType<typeof configFromEnv>;

/** Reads the gateway's configuration; throws one line per bad variable, naming it. */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>) {
  const given: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== ''),
  );
  const parsed = EnvSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${String(i.path[0])}: ${unsetOr(i.message, given[String(i.path[0])])}`,
    );
    throw new Error(`invalid gateway configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (Boolean(e.STOA_GATEWAY_VOUCHER_KEY) !== Boolean(e.STOA_FEE_ESCROW))
    throw new Error(
      'invalid gateway configuration:\n  STOA_GATEWAY_VOUCHER_KEY: must be given together with STOA_FEE_ESCROW',
    );
  const at = e.STOA_GATEWAY_LISTEN.lastIndexOf(':');
  return {
    host: e.STOA_GATEWAY_LISTEN.slice(0, at),
    port: Number(e.STOA_GATEWAY_LISTEN.slice(at + 1)),
    stoaDir: e.STOA_DIR,
    databaseUrl: e.DATABASE_URL ?? `file:${join(e.STOA_DIR, 'stoa.db')}`,
    rpcUrl: e.STOA_RPC_URL,
    contractsFile: e.STOA_CONTRACTS_FILE,
    gatewaySecret: e.STOA_GATEWAY_SECRET,
    spoolDir: e.STOA_GATEWAY_SPOOL_DIR,
    flushMs: e.STOA_GATEWAY_FLUSH_MS,
    settleMs: e.STOA_GATEWAY_SETTLE_MS,
    spotCheckRate: e.STOA_GATEWAY_SPOT_CHECK_RATE,
    batchesInFlight: e.STOA_GATEWAY_BATCHES_IN_FLIGHT,
    challengerKey: e.STOA_GATEWAY_CHALLENGER_KEY,
    challengeLeaseMs: e.STOA_GATEWAY_CHALLENGE_LEASE_MS,
    voucherKey: e.STOA_GATEWAY_VOUCHER_KEY,
    feeEscrow: e.STOA_FEE_ESCROW as `0x${string}` | undefined,
    tokenizerFiles: Object.fromEntries(
      (e.STOA_GATEWAY_TOKENIZERS ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => pair.split('=', 2).map((part) => part.trim()) as [string, string]),
    ),
  };
}

/** A required variable that is not set says so, not zod's "expected string, received undefined". */
function unsetOr(message: string, value: string | undefined): string {
  if (value !== undefined) return message;
  return message.startsWith('Invalid input') ? 'required, not set' : `required, not set (${message})`;
}
