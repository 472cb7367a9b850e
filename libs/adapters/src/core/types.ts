import { z } from 'zod';

/** GPU kinds, lower-case `vendor-model`, e.g. `nvidia-h100`, `nvidia-rtx4090`. `cpu` = no GPU. */
export type GpuKind = string;

export const NODE_IMAGE = 'ghcr.io/stoa-network/node:0.1.0';
export const DEFAULT_NODE_COMMAND = ['node', '--import', 'tsx', 'apps/node/src/main.ts'] as const;

const envName = /^[A-Z_][A-Z0-9_]*$/;
/** Variables that would hand a node a key: the node makes its own; the operator's stays home. */
export const keyLikeEnv = /(OPERATOR_KEY|PRIVATE_KEY|MNEMONIC|SEED_PHRASE)/;

/**
 * What to deploy: the standard node with its environment contract, and where/how much.
 * The same spec goes to every network.
 */
export const nodeSpecSchema = z.object({
  /** Deployment name: lower-case, stable; also the idempotency key on networks that support one. */
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes, starting with a letter'),
  modelId: z.string().min(1),
  artifactUrl: z.url(),
  rpcUrl: z.url(),
  contractsFile: z.string().min(1).optional(),
  /**
   * The operator's public address: the node waits until this operator authorizes the node's own
   * key on chain (StakeManager.authorizeSigner). Derived from `operatorKeyRef` when omitted.
   */
  operatorAddress: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address')
    .optional(),
  /**
   * A reference to the operator key on the operator's own machine (`env:NAME` or `file:PATH`),
   * never the key itself. It is read only there, to derive the operator's address and to sign
   * the authorization of a node's key; it never reaches a node, a network or a record.
   */
  operatorKeyRef: z.string().min(1).optional(),
  role: z.enum(['server', 'watcher']).default('server'),
  /** Container image for container networks. */
  image: z.string().min(1).default(NODE_IMAGE),
  /** Command for process hosts (self-hosted); the default starts apps/node. */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** Working directory for the command on process hosts. */
  cwd: z.string().optional(),
  /** Port the node listens on inside a container. */
  port: z.number().int().min(1).max(65535).default(8080),
  replicas: z.number().int().min(1).max(64).default(1),
  gpu: z.object({ kind: z.string().min(1), count: z.number().int().min(1).max(16) }).optional(),
  cpu: z.number().positive().default(2),
  memoryGi: z.number().positive().default(4),
  storageGi: z.number().positive().default(10),
  region: z.string().min(1).optional(),
  /** Highest acceptable price per replica-hour, in USD. */
  maxPricePerHourUsd: z.number().positive().optional(),
  env: z
    .record(z.string().regex(envName, 'env names must be UPPER_SNAKE_CASE'), z.string())
    .default({})
    .superRefine((env, ctx) => {
      for (const name of Object.keys(env)) {
        if (keyLikeEnv.test(name))
          ctx.addIssue({ code: 'custom', path: [name], message: 'a key must not be sent to a node' });
      }
    }),
});

export type NodeSpecInput = z.input<typeof nodeSpecSchema>;
export type NodeSpec = z.output<typeof nodeSpecSchema>;

export interface Capabilities {
  gpu: GpuKind[];
  regions?: string[];
  multiReplica: boolean;
  logStreaming: boolean;
  /** Anything else an adapter wants to declare (e.g. `kubernetes: true`). */
  [extra: string]: unknown;
}

export interface Problem {
  /** Dotted path of the field at fault, e.g. `gpu.kind`. Empty for the whole spec. */
  path: string;
  message: string;
}

export interface Quote {
  adapter: string;
  pricePerHourUsd: number;
  gpu: GpuKind;
  gpuCount: number;
  region?: string;
  provider?: string;
  /** Replicas available at this price right now, when known. */
  available?: number;
}

export type DeploymentState = 'provisioning' | 'running' | 'failed' | 'torn-down';

/** The persisted deployment record: what the adapter has done so far, enough to resume or tear down. */
export interface DeploymentRecord {
  id: string;
  adapter: string;
  spec: NodeSpec;
  state: DeploymentState;
  /** Completed provisioning steps, in order, with their outputs. */
  steps: { name: string; at: string; output: Record<string, unknown> }[];
  /** Merged outputs of completed steps (what later steps and status/logs/teardown read). */
  data: Record<string, unknown>;
  error?: { kind: string; code: string; message: string };
  createdAt: string;
  updatedAt: string;
}

export type Deployment = DeploymentRecord;

export type HealthState = 'starting' | 'ready' | 'busy' | 'failed' | 'unreachable' | 'stopped';

export interface ReplicaStatus {
  id: string;
  endpoint?: string;
  health: HealthState;
  detail?: string;
}

export interface DeploymentStatus {
  state: 'provisioning' | 'running' | 'degraded' | 'failed' | 'stopped';
  endpoints: string[];
  replicas: ReplicaStatus[];
}

/**
 * A deployment's status from its replicas: running when every replica answers ready (or busy),
 * degraded when some do, failed when none does; provisioning while the record is.
 */
export function statusOfReplicas(
  record: Pick<DeploymentRecord, 'state'>,
  replicas: ReplicaStatus[],
): DeploymentStatus {
  const ready = replicas.filter((r) => r.health === 'ready' || r.health === 'busy').length;
  const state =
    record.state === 'provisioning'
      ? 'provisioning'
      : ready > 0 && ready === replicas.length
        ? 'running'
        : ready > 0
          ? 'degraded'
          : 'failed';
  return { state, endpoints: replicas.map((r) => r.endpoint!), replicas };
}

export interface LogLine {
  /** ISO time when known. */
  ts?: string;
  replica?: string;
  stream: 'stdout' | 'stderr' | 'system';
  line: string;
}

export interface LogOptions {
  /** Keep streaming new lines until aborted. */
  follow?: boolean;
  /** Last N lines first. */
  tail?: number;
  signal?: AbortSignal;
}
