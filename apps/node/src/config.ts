import { join } from 'node:path';
import { z } from 'zod';

const hex32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * The node's environment contract: every adapter starts the same image with these variables.
 * Documented in apps/node/README.md; validated at start with errors naming the variable.
 */
const EnvSchema = z.object({
  STOA_MODEL_ID: z.string().regex(hex32, 'must be a 0x-prefixed 32-byte hex modelId'),
  STOA_ARTIFACT_URL: z.string().min(1, 'must name the compiled model (file path, file:// or http(s):// URL)'),
  STOA_RPC_URL: z.url({ message: 'must be the chain’s JSON-RPC URL' }),
  STOA_CONTRACTS_FILE: z.string().min(1, 'must name the contract addresses file'),
  /** Where the node keeps its own signing key (made at first start); default <data dir>/node.key. */
  STOA_NODE_KEY_FILE: z.string().min(1).optional(),
  /** The operator whose stake backs this node; the node waits until it authorizes the node's address. */
  STOA_OPERATOR_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be the operator’s 0x-prefixed 20-byte address')
    .optional(),
  STOA_ROLE: z.enum(['server', 'watcher']).default('server'),
  STOA_LISTEN: z
    .string()
    .regex(/^[^:]+:\d{1,5}$/, 'must be host:port')
    .default('127.0.0.1:8080'),
  STOA_DATA_DIR: z.string().min(1).default('.stoa/node'),
  STOA_STAKE_WEI: z.string().regex(/^\d+$/, 'must be an integer number of wei').optional(),
  STOA_BATCH_SIZE: z.coerce.number().int().min(1).max(65_536).default(64),
  STOA_BATCH_MAX_AGE_MS: z.coerce.number().int().min(1).default(60_000),
  STOA_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  STOA_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1 << 20),
  STOA_TRACE_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  /**
   * Bytes of traces kept for receipts whose claims have not finalized. Never evicted: when they
   * are full the node answers 503 with Retry-After until claims finalize and free room.
   */
  STOA_MAX_TRACE_BYTES: z.coerce
    .number()
    .int()
    .min(1 << 16)
    .default(2 ** 30),
  /** Open connections at most; more are closed at once (issue 18: 1,500 slow bodies took 1.3 GB). */
  STOA_MAX_CONNECTIONS: z.coerce.number().int().min(8).max(65_536).default(256),
  /**
   * Serve every receipt's inputs to anyone (rate-limited), for networks whose clients agree to
   * be audited by any watcher. Off by default: inputs go to their client or a challenger only.
   */
  STOA_PUBLIC_INPUTS: z.enum(['true', 'false']).default('false'),
  STOA_BACKEND: z.enum(['onnxruntime', 'reference']).default('onnxruntime'),
  /**
   * on-demand (default): receipts carry a zero trace root and the trace is rebuilt from the
   * journaled inputs only if a dispute opens (issue 14). eager: every answer is traced, its
   * root signed and its trace stored until the claim finalizes.
   */
  STOA_TRACES: z.enum(['on-demand', 'eager']).default('on-demand'),
  /** onnxruntime execution providers in order of preference; the GPU image sets 'cuda,cpu'. */
  STOA_ONNX_PROVIDERS: z
    .string()
    .regex(/^[a-z]+(,[a-z]+)*$/, 'must be a comma-separated list such as cuda,cpu')
    .default('cpu'),
  /**
   * Where the hot path runs inference: `thread`, a worker thread of its own (the event loop
   * stays free while a large model computes); `inline`, on the event loop (no hand-off, the
   * cheaper choice for models of tens of microseconds); `auto` (default), `thread` when the
   * start-up probe inference takes at least 50 ms
   * (node.ts THREAD_FROM_MS).
   */
  STOA_HOT_PATH_THREAD: z.enum(['auto', 'thread', 'inline']).default('auto'),
  /** Watcher role: the nodes whose claims it audits (comma-separated base URLs). */
  STOA_WATCH_NODES: z.string().default(''),
  STOA_WATCH_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(1),
  STOA_WATCH_SEED: z.string().default('stoa-watcher'),
  /**
   * Test-only: makes this node dishonest so that tests can prove it gets caught. A value
   * `perturb:<step>` adds one to the first output element of that step. Never set in production.
   */
  /** Set: inference requests must carry this deployment's gateway credential (gateway-credential.ts). */
  STOA_GATEWAY_CREDENTIAL: z.string().min(16, 'must be the deployment’s gateway credential').optional(),
  /** Set: inference requests must carry the gateway's Ed25519 signature (gateway-auth.ts). */
  STOA_GATEWAY_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be the gateway’s Ed25519 public key (32 bytes, base64url)')
    .optional(),
  /** The deployment this node serves; a gateway signature names it. Required with STOA_GATEWAY_PUBLIC_KEY. */
  STOA_GATEWAY_DEPLOYMENT_ID: z.string().min(1).max(128).optional(),
  STOA_TEST_FAULT: z
    .string()
    .regex(/^perturb:\d+$/, 'must be perturb:<step>')
    .optional(),
  /**
   * Tests only: stream generated token <index> as another id than the one the receipt signs (on
   * every generation, or only on those sampled with seed <seed>: a node that lies selectively).
   */
  STOA_TEST_GENERATION_FAULT: z
    .string()
    .regex(/^stream:\d+(@seed:\d{1,20})?$/, 'must be stream:<token index>[@seed:<seed>]')
    .optional(),
});

export interface NodeConfig {
  readonly modelId: `0x${string}`;
  readonly artifactUrl: string;
  readonly rpcUrl: string;
  readonly contractsFile: string;
  /** The node's own signing key file (never the operator's key). */
  readonly nodeKeyFile: string;
  /** Set: the node waits for this operator's on-chain authorization. Unset: it stakes for itself (dev chains). */
  readonly operatorAddress?: `0x${string}`;
  readonly role: 'server' | 'watcher';
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly stakeWei?: bigint;
  readonly batchSize: number;
  readonly batchMaxAgeMs: number;
  readonly pollMs: number;
  readonly maxBodyBytes: number;
  readonly traceRatePerMinute: number;
  readonly maxTraceBytes: number;
  readonly maxConnections: number;
  readonly publicInputs: boolean;
  readonly backend: 'onnxruntime' | 'reference';
  readonly traces: 'on-demand' | 'eager';
  readonly onnxProviders: readonly string[];
  readonly hotPathThread: 'auto' | 'thread' | 'inline';
  readonly watchNodes: readonly string[];
  readonly watchSampleRate: number;
  readonly watchSeed: string;
  readonly testFault?: { readonly step: number };
  readonly testGenerationFault?: { readonly index: number; readonly seed?: string };
  readonly gatewayCredential?: string;
  /** Verifies the gateway's request signatures (gateway-auth.ts) for this deployment. */
  readonly gateway?: { readonly publicKey: string; readonly deploymentId: string };
}

export class ConfigError extends Error {}

/** Reads the node's configuration from the environment; throws a ConfigError naming each bad variable. */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): NodeConfig {
  const picked = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('STOA_') && v !== ''),
  );
  if (picked.STOA_OPERATOR_KEY !== undefined) {
    throw new ConfigError(
      'invalid node configuration:\n  STOA_OPERATOR_KEY: not accepted: the operator key never goes to a node. ' +
        'The node makes its own key (STOA_NODE_KEY_FILE) and the operator authorizes its address on chain ' +
        '(set STOA_OPERATOR_ADDRESS)',
    );
  }
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${String(i.path[0])}: ${unsetOr(i.message, picked[String(i.path[0])])}`,
    );
    throw new ConfigError(`invalid node configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const [host, port] = [
    e.STOA_LISTEN.slice(0, e.STOA_LISTEN.lastIndexOf(':')),
    Number(e.STOA_LISTEN.split(':').at(-1)),
  ];
  if (port > 65_535)
    throw new ConfigError('invalid node configuration:\n  STOA_LISTEN: port must be at most 65535');
  const watchNodes = e.STOA_WATCH_NODES.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const url of watchNodes) {
    if (!/^https?:\/\/[^/]+/.test(url)) {
      throw new ConfigError(
        `invalid node configuration:\n  STOA_WATCH_NODES: '${url}' is not an http(s) URL`,
      );
    }
  }
  if (e.STOA_ROLE === 'watcher' && watchNodes.length === 0) {
    throw new ConfigError(
      'invalid node configuration:\n  STOA_WATCH_NODES: a watcher needs at least one node URL',
    );
  }
  return {
    modelId: e.STOA_MODEL_ID.toLowerCase() as `0x${string}`,
    artifactUrl: e.STOA_ARTIFACT_URL,
    rpcUrl: e.STOA_RPC_URL,
    contractsFile: e.STOA_CONTRACTS_FILE,
    nodeKeyFile: e.STOA_NODE_KEY_FILE ?? join(e.STOA_DATA_DIR, 'node.key'),
    ...(e.STOA_OPERATOR_ADDRESS ? { operatorAddress: e.STOA_OPERATOR_ADDRESS as `0x${string}` } : {}),
    role: e.STOA_ROLE,
    host,
    port,
    dataDir: e.STOA_DATA_DIR,
    ...(e.STOA_STAKE_WEI ? { stakeWei: BigInt(e.STOA_STAKE_WEI) } : {}),
    batchSize: e.STOA_BATCH_SIZE,
    batchMaxAgeMs: e.STOA_BATCH_MAX_AGE_MS,
    pollMs: e.STOA_POLL_MS,
    maxBodyBytes: e.STOA_MAX_BODY_BYTES,
    traceRatePerMinute: e.STOA_TRACE_RATE_PER_MINUTE,
    maxTraceBytes: e.STOA_MAX_TRACE_BYTES,
    maxConnections: e.STOA_MAX_CONNECTIONS,
    publicInputs: e.STOA_PUBLIC_INPUTS === 'true',
    backend: e.STOA_BACKEND,
    traces: e.STOA_TRACES,
    onnxProviders: e.STOA_ONNX_PROVIDERS.split(','),
    hotPathThread: e.STOA_HOT_PATH_THREAD,
    watchNodes,
    watchSampleRate: e.STOA_WATCH_SAMPLE_RATE,
    watchSeed: e.STOA_WATCH_SEED,
    ...(e.STOA_GATEWAY_CREDENTIAL ? { gatewayCredential: e.STOA_GATEWAY_CREDENTIAL } : {}),
    ...gatewayOf(e.STOA_GATEWAY_PUBLIC_KEY, e.STOA_GATEWAY_DEPLOYMENT_ID),
    ...(e.STOA_TEST_FAULT ? { testFault: { step: Number(e.STOA_TEST_FAULT.split(':')[1]) } } : {}),
    ...(e.STOA_TEST_GENERATION_FAULT
      ? { testGenerationFault: generationFault(e.STOA_TEST_GENERATION_FAULT) }
      : {}),
  };
}

function gatewayOf(publicKey: string | undefined, deploymentId: string | undefined) {
  if (!publicKey) return {};
  if (!deploymentId)
    throw new ConfigError(
      'STOA_GATEWAY_DEPLOYMENT_ID: required with STOA_GATEWAY_PUBLIC_KEY (signatures name the deployment)',
    );
  return { gateway: { publicKey, deploymentId } };
}

/** `stream:<index>[@seed:<seed>]` (STOA_TEST_GENERATION_FAULT). */
function generationFault(value: string): { index: number; seed?: string } {
  const [, index, seed] = /^stream:(\d+)(?:@seed:(\d+))?$/.exec(value)!;
  return { index: Number(index), ...(seed ? { seed } : {}) };
}

/** A required variable that is not set says so, not zod's "expected string, received undefined". */
function unsetOr(message: string, value: string | undefined): string {
  if (value !== undefined) return message;
  return message.startsWith('Invalid input') ? 'required, not set' : `required, not set (${message})`;
}
