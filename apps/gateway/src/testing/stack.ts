import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProtocolParameters } from '@stoa/contracts';
import type { Model } from '@stoa/ir';
import { Deployment, type NodeProcess, spawnNode } from '@stoa/node';
import {
  createApiKey,
  gatewayPublicKey,
  gatewaySigningKey,
  type KeyLimits,
  keySecret,
  openDatabase,
  type StoaDb,
} from '@stoa/sdk';
import type { Hex } from 'viem';
import type { GatewayOptions } from '../options.js';
import { type RunningGateway, startGateway } from '../server.js';

export interface ReplicaSpec {
  readonly network: string;
  readonly key: Hex;
  /** Extra STOA_* variables for this node (e.g. STOA_TEST_FAULT). */
  readonly env?: Record<string, string>;
}

export interface Stack {
  readonly deployment: Deployment;
  readonly db: StoaDb;
  readonly dbUrl: string;
  readonly stoaDir: string;
  readonly projectId: string;
  readonly deploymentId: string;
  readonly gatewaySecret: Buffer;
  readonly nodes: NodeProcess[];
  /** Replica row id of each node, in order. */
  readonly replicaIds: string[];
  /** Options for a gateway on this stack (add a spoolDir per instance). */
  gatewayOptions(extra?: Partial<GatewayOptions>): GatewayOptions;
  startGateway(extra?: Partial<GatewayOptions>): Promise<RunningGateway>;
  createKey(limits?: KeyLimits): Promise<string>;
  /** The environment `apps/gateway/src/main.ts` runs this stack's gateway with. */
  gatewayEnv(spoolDir: string): Record<string, string>;
  /**
   * This stack on a second database (e.g. PostgreSQL beside the default SQLite): its project,
   * model, deployment and replica rows copied there with the same ids (the nodes know the
   * deployment's), sharing the chain and the nodes. Its `stop` only closes that database.
   */
  onDatabase(url: string): Promise<Stack>;
  stop(): Promise<void>;
}

type Shared = Pick<
  Stack,
  'deployment' | 'stoaDir' | 'projectId' | 'deploymentId' | 'gatewaySecret' | 'nodes' | 'replicaIds' | 'stop'
>;

/** The stack's helpers over one database. */
function stackOn(db: StoaDb, dbUrl: string, shared: Shared): Stack {
  const { deployment, stoaDir, gatewaySecret } = shared;
  const secret = keySecret(stoaDir);
  const stack: Stack = {
    ...shared,
    db,
    dbUrl,
    gatewayOptions: (extra = {}) => ({
      db,
      keySecret: secret,
      gatewaySecret,
      chain: { client: deployment.client, addresses: deployment.at },
      spoolDir: join(stoaDir, `spool-${randomBytes(4).toString('hex')}`),
      ...extra,
    }),
    startGateway: (extra = {}) => startGateway(stack.gatewayOptions(extra)),
    createKey: async (limits = {}) => (await createApiKey(db, stoaDir, shared.projectId, 'test', limits)).key,
    gatewayEnv: (spoolDir) => ({
      STOA_DIR: stoaDir,
      DATABASE_URL: dbUrl,
      STOA_RPC_URL: deployment.chain.rpcUrl,
      STOA_CONTRACTS_FILE: join(deployment.dir, 'addresses.json'),
      STOA_GATEWAY_SECRET: `env:${SECRET_VAR}`,
      [SECRET_VAR]: gatewaySecret.toString('utf8'),
      STOA_GATEWAY_SPOOL_DIR: spoolDir,
      STOA_GATEWAY_LISTEN: '127.0.0.1:0',
      STOA_GATEWAY_SPOT_CHECK_RATE: '0',
    }),
    async onDatabase(url) {
      const other = await openDatabase(url);
      try {
        const row = await db.deployment.findUniqueOrThrow({
          where: { id: shared.deploymentId },
          include: { project: true, model: true, replicas: true },
        });
        const { project, model, replicas, ...deploymentRow } = row;
        await other.project.create({ data: project });
        await other.model.create({ data: model });
        await other.deployment.create({ data: deploymentRow });
        await other.replica.createMany({ data: replicas });
      } catch (error) {
        await other.$disconnect();
        throw error;
      }
      return stackOn(other, url, { ...shared, stop: () => other.$disconnect() });
    },
  };
  return stack;
}

export const TEST_MODEL_NAME = 'mnist';
const SECRET_VAR = 'STOA_TEST_GATEWAY_SECRET';

/**
 * The gateway's world for tests and benches, from the real parts and the existing helpers: a
 * local anvil chain with the contracts and the model registered (`Deployment` of @stoa/node),
 * the control plane's database (SQLite in a temporary .stoa/, or `dbUrl`), a live deployment
 * row, and one real node process per replica on its network, started with the gateway's public key
 * and the deployment's id, as the deploy engine would record them.
 */
export async function startStack(
  model: Model,
  replicas: readonly ReplicaSpec[],
  options: {
    readonly dbUrl?: string;
    readonly parameters?: Partial<ProtocolParameters>;
    /** The deployment's (and model row's) name; TEST_MODEL_NAME by default. */
    readonly name?: string;
  } = {},
): Promise<Stack> {
  const name = options.name ?? TEST_MODEL_NAME;
  const deployment = await Deployment.start(model, options.parameters);
  const stoaDir = await mkdtemp(join(tmpdir(), 'stoa-gateway-'));
  const dbUrl = options.dbUrl ?? `file:${join(stoaDir, 'stoa.db')}`;
  const db = await openDatabase(dbUrl);
  const nodes: NodeProcess[] = [];
  try {
    const project = await db.project.create({
      data: { name: `gateway-test-${randomBytes(4).toString('hex')}`, dir: stoaDir },
    });
    const modelRow = await db.model.create({
      data: {
        projectId: project.id,
        name,
        modelId: deployment.modelId,
        weightsRoot: '0x',
        onnxPath: '',
        activationBits: 8,
      },
    });
    const artifactUrl = `file://${join(deployment.dir, 'model.stoa')}`;
    const row = await db.deployment.create({
      data: {
        projectId: project.id,
        modelRef: modelRow.id,
        name,
        state: 'live',
        plan: '{}',
        maxPerHourUsd: 1,
        artifactUrl,
      },
    });
    // Printable, so that the spawned gateway reads the same bytes from its environment.
    const gatewaySecret = Buffer.from(randomBytes(32).toString('hex'), 'utf8');
    // Nodes hold only the gateway's public key and their deployment's id (no secret).
    const publicKey = gatewayPublicKey(gatewaySigningKey(gatewaySecret));
    nodes.push(
      ...(await Promise.all(
        replicas.map((r) =>
          spawnNode(
            deployment.env(r.key, {
              STOA_GATEWAY_PUBLIC_KEY: publicKey,
              STOA_GATEWAY_DEPLOYMENT_ID: row.id,
              ...r.env,
            }),
          ),
        ),
      )),
    );
    await Promise.all(nodes.map((n) => n.waitForHealth('ready', 120_000)));
    const replicaIds: string[] = [];
    for (const [i, node] of nodes.entries()) {
      const replica = await db.replica.create({
        data: {
          deploymentId: row.id,
          network: replicas[i]!.network,
          adapterId: `test-${row.id}-${i}`,
          state: 'running',
          endpoint: node.url,
          pricePerHourUsd: 0.5,
          gpu: 'cpu',
        },
      });
      replicaIds.push(replica.id);
    }
    const stack = stackOn(db, dbUrl, {
      deployment,
      stoaDir,
      projectId: project.id,
      deploymentId: row.id,
      gatewaySecret,
      nodes,
      replicaIds,
      async stop() {
        await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
        await db.$disconnect();
        await deployment.stop();
        await rm(stoaDir, { recursive: true, force: true });
      },
    });
    return stack;
  } catch (error) {
    await Promise.all(nodes.map((n) => n.kill().catch(() => undefined)));
    await db.$disconnect();
    await deployment.stop();
    throw error;
  }
}
export { DEV_KEYS } from '@stoa/node';
