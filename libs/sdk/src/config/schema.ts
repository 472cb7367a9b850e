import { z } from 'zod';
import { duration, weiAmount } from './amounts.js';
import { secretRef } from './secrets.js';

/** Networks Stoa ships an adapter for; anything else must be given as an adapter plugin object. */
export const BUILTIN_NETWORKS = ['self-hosted', 'akash', 'ionet', 'render'] as const;
export type BuiltinNetwork = (typeof BUILTIN_NETWORKS)[number];

/** An adapter plugin: any object implementing @stoa/adapters' NetworkAdapter. */
export interface AdapterPlugin {
  readonly name: string;
  quote: (...args: never[]) => unknown;
  provision: (...args: never[]) => unknown;
  teardown: (...args: never[]) => unknown;
  status: (...args: never[]) => unknown;
}

const isPlugin = (value: unknown): value is AdapterPlugin => {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.name === 'string' &&
    ['quote', 'provision', 'teardown', 'status'].every((method) => typeof v[method] === 'function')
  );
};

const adapterRef = z.custom<BuiltinNetwork | AdapterPlugin>(
  (value) => (BUILTIN_NETWORKS as readonly unknown[]).includes(value) || isPlugin(value),
  {
    error: `must be one of ${BUILTIN_NETWORKS.map((n) => `'${n}'`).join(', ')}, or an adapter plugin object (name, quote, provision, status, teardown)`,
  },
);

const gpuKind = z
  .string()
  .regex(
    /^(cpu|[a-z]+-[a-z0-9]+)$/,
    "must be 'cpu' or a lower-case vendor-model like 'nvidia-h100' or 'nvidia-rtx4090'",
  );

const region = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a lower-case region name like 'us-west'");

export const networkSchema = z.strictObject({
  adapter: adapterRef,
  gpu: gpuKind.default('cpu'),
  gpuCount: z.number().int().min(1).max(16).default(1),
  replicas: z.number().int().min(1).max(64).default(1),
  regions: z.array(region).min(1, 'list at least one region, or leave regions out').optional(),
  /** Highest acceptable price per replica-hour, in USD. */
  maxPricePerHour: z.number().positive('must be a positive number of USD per hour').optional(),
  /** The network's API base URL (its public default when left out; an emulator in tests). */
  endpoint: z.url('must be an http(s) URL').optional(),
  /** Credentials by reference: `env:NAME` or `file:path`. */
  credentials: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/), secretRef).default({}),
  /** Where self-hosted replicas run: omitted = this machine. */
  hosts: z.array(z.string().min(1)).optional(),
});
export type NetworkConfig = z.output<typeof networkSchema>;

/** `'akash'` is short for `{ adapter: 'akash' }`. */
const network = z.preprocess(
  (value) => (typeof value === 'string' || isPlugin(value) ? { adapter: value } : value),
  networkSchema,
);

export type CalibrationSource =
  | string
  | readonly (readonly number[])[]
  | (() => Promise<number[][]> | number[][]);

const calibration = z.custom<CalibrationSource>(
  (value) =>
    (typeof value === 'string' && value.length > 0) ||
    typeof value === 'function' ||
    (Array.isArray(value) &&
      value.length > 0 &&
      value.every((s) => Array.isArray(s) && s.every((x) => typeof x === 'number' && Number.isFinite(x)))),
  {
    error:
      'must be a path to a JSON file of samples, a non-empty array of samples (arrays of finite numbers), or a function returning them',
  },
);

export const modelSchema = z.strictObject({
  /** The ONNX file, relative to the config file. */
  onnx: z.string().regex(/\.onnx$/i, "must be a path to an '.onnx' file"),
  calibration,
  /** Width of the integer activations: 8 (default, fastest) or 16 (more accurate). */
  activationBits: z.union([z.literal(8), z.literal(16)], { error: 'must be 8 or 16' }).default(8),
  /** Optional evaluation set: a JSON file `{ inputs: number[][], labels: number[] }`. */
  eval: z.string().min(1).optional(),
  /** Symbolic batch size used when importing. */
  batchSize: z.number().int().min(1).default(1),
});

export const budgetSchema = z.strictObject({
  maxPerHour: z.number().positive('must be a positive number of USD per hour'),
  maxTotal: z.number().positive('must be a positive number of USD').optional(),
  /**
   * The most the deployment's FeeEscrow ever pays its nodes, in the chain's currency ('1 eth'):
   * the escrow's on-chain cap, funded at deploy. Unset: no escrow, nodes are not paid on chain.
   */
  maxFees: weiAmount.optional(),
});

export const verificationSchema = z.strictObject({
  /** Stake each node bonds. */
  stake: weiAmount.default(10n ** 18n),
  /** Taken from a node's stake per lost dispute (default: the whole stake). */
  slash: weiAmount.optional(),
  /** Bond per claim, forfeited when the claim is rejected. */
  claimBond: weiAmount.default(10n ** 16n),
  /** Bond a challenger pays to open a dispute. */
  challengeBond: weiAmount.default(10n ** 17n),
  challengeWindow: duration.default(3600),
  /** Fraction of claims watchers audit, in [0, 1]. */
  auditRate: z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]').default(0.05),
  /** How a dispute's last step is settled: re-execution on chain, or a Groth16 proof. */
  oneStep: z.enum(['reexec', 'zk'], { error: "must be 'reexec' or 'zk'" }).default('reexec'),
  /** Fee per request and what an honest node spends computing one (what cheating would save). */
  feePerRequest: weiAmount.default(10n ** 12n),
  costPerRequest: weiAmount.default(10n ** 12n),
  receiptsPerClaim: z.number().int().min(1).default(16),
});

export const chainSchema = z.union(
  [
    z.literal('dev'),
    z.strictObject({
      rpcUrl: z.url('must be an http(s) URL of a JSON-RPC node'),
      contracts: z.string().min(1, 'must be the path of the deployed contracts file (JSON)'),
      /** The deployer/owner key by reference. */
      key: secretRef,
    }),
  ],
  { error: "must be 'dev' (a local chain) or { rpcUrl, contracts, key }" },
);

export const scalingSchema = z
  .strictObject({ min: z.number().int().min(0).default(1), max: z.number().int().min(1).default(1) })
  .refine((s) => s.max >= s.min, { message: 'max must be at least min', path: ['max'] });

export const stoaConfigSchema = z.strictObject({
  name: z
    .string({ error: 'is required: a lower-case model name' })
    .regex(
      /^[a-z][a-z0-9-]{0,39}$/,
      'must be 1–40 lower-case letters, digits and dashes, starting with a letter',
    ),
  model: modelSchema,
  networks: z.array(network).min(1, 'list at least one network, e.g. ["self-hosted"]'),
  budget: budgetSchema,
  verification: verificationSchema.default(verificationSchema.parse({})),
  chain: chainSchema.default('dev'),
  /** Replica bounds for autoscaling (default: exactly the networks' replicas). */
  scaling: scalingSchema.optional(),
});

export type StoaConfigInput = z.input<typeof stoaConfigSchema>;
export type StoaConfig = z.output<typeof stoaConfigSchema>;
export type VerificationConfig = z.output<typeof verificationSchema>;
