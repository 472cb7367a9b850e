import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { modelCommitments, type StoaAddresses } from '@stoa/contracts';
import { encodeModel, type Model, weightsRoot } from '@stoa/ir';
import {
  createApiKey,
  databaseUrl,
  ensureProject,
  type LoadedConfig,
  loadConfig,
  openDatabase,
  type StoaDb,
} from '@stoa/sdk';
import { toHex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

/** The model (and deployment) name clients call through the gateway (`/v1/models/mnist/infer`). */
export const DEV_MODEL_NAME = 'mnist';

/** What the console reads to find the running dev stack (`.stoa/dev.json`; no secret in it). */
export interface DevStackFile {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly contractsFile: string;
  readonly gatewayUrl: string;
  readonly deploymentId: string;
  readonly modelName: string;
}

export interface DevProject {
  readonly dir: string;
  readonly stoaDir: string;
  /** Its stoa.config.ts, for the deploy engine (the console may deploy with it). */
  readonly config: LoadedConfig;
  readonly db: StoaDb;
  readonly projectId: string;
  /** Whether `stoa dev` made the directory (and removes it on exit). */
  readonly temporary: boolean;
}

/**
 * The project `stoa dev` serves: `dir` when given (a stoa.config.ts is written there unless one
 * exists), else a fresh temporary directory. Its SQLite database is created and migrated.
 */
export async function openDevProject(dir: string | undefined): Promise<DevProject> {
  const temporary = dir === undefined;
  const root = dir ? resolve(dir) : mkdtempSync(join(tmpdir(), 'stoa-dev-'));
  mkdirSync(root, { recursive: true });
  if (!existsSync(join(root, 'stoa.config.ts'))) {
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({ name: 'stoa-dev', private: true, type: 'module' }),
    );
    writeFileSync(
      join(root, 'stoa.config.ts'),
      `export default {
  name: 'stoa-dev',
  model: { onnx: './model.onnx', calibration: [[0]] },
  networks: ['self-hosted'],
  budget: { maxPerHour: 5 },
  verification: { stake: '1 eth', auditRate: 0.05, challengeWindow: '1h' },
  chain: 'dev',
};
`,
    );
  }
  const project = await loadConfig({ from: root });
  const db = await openDatabase(databaseUrl(project.dir));
  const row = await ensureProject(db, project);
  return {
    dir: project.dir,
    stoaDir: join(project.dir, '.stoa'),
    config: project,
    db,
    projectId: row.id,
    temporary,
  };
}

/** A fresh random gateway secret in `.stoa/gateway-secret` (0600); the gateway reads it by reference. */
export function writeGatewaySecret(stoaDir: string): { file: string; secret: Buffer } {
  const file = join(stoaDir, 'gateway-secret');
  const secret = Buffer.from(randomBytes(32).toString('hex'), 'utf8');
  writeFileSync(file, secret, { mode: 0o600 });
  return { file, secret };
}

export interface DevDeployment {
  readonly deploymentId: string;
  /** `network`: as the deploy engine names it ('self-hosted', 'ionet'). */
  addReplica(name: string, endpoint: string, network: string): Promise<void>;
}

/**
 * Records the example's model and a live deployment, as the deploy engine would, so that the
 * gateway routes to its nodes and the console lists them. Replicas carry no adapter record:
 * `stoa dev` owns their processes, and a teardown from the console leaves them to it.
 */
export async function recordDevDeployment(
  project: DevProject,
  model: Model,
  artifactUrl: string,
): Promise<DevDeployment> {
  const { db, projectId } = project;
  const modelId = modelCommitments(model).modelId;
  // Where the console finds a model's compiled artifact (its hypergraph, a dispute drawn on it).
  mkdirSync(join(project.stoaDir, 'models'), { recursive: true });
  writeFileSync(join(project.stoaDir, 'models', `${modelId}.stoa`), encodeModel(model));
  const modelRow = await db.model.upsert({
    where: { projectId_modelId: { projectId, modelId } },
    create: {
      projectId,
      name: DEV_MODEL_NAME,
      modelId,
      weightsRoot: toHex(weightsRoot(model)),
      onnxPath: 'examples/mnist/models/cnn.onnx',
      activationBits: 8,
    },
    update: {},
  });
  // Earlier runs' deployments (a --project reused) are over: their nodes are gone.
  await db.deployment.updateMany({
    where: { projectId, name: DEV_MODEL_NAME, state: 'live' },
    data: { state: 'torn-down', tornDownAt: new Date() },
  });
  const row = await db.deployment.create({
    data: {
      projectId,
      modelRef: modelRow.id,
      name: DEV_MODEL_NAME,
      state: 'live',
      plan: '{}',
      maxPerHourUsd: 0,
      artifactUrl,
    },
  });
  return {
    deploymentId: row.id,
    async addReplica(name, endpoint, network) {
      await db.replica.create({
        data: {
          deploymentId: row.id,
          network,
          adapterId: `dev-${row.id}-${name}`,
          state: 'running',
          endpoint,
          pricePerHourUsd: 0,
          gpu: 'cpu',
          provider: JSON.stringify({ node: name }),
          healthyAt: new Date(),
        },
      });
      await db.deploymentEvent.create({
        data: {
          deploymentId: row.id,
          step: 'provision',
          outcome: 'done',
          detail: `node ${name} on ${network} running at ${endpoint}`,
        },
      });
    },
  };
}

export async function createDevKey(project: DevProject): Promise<string> {
  return (await createApiKey(project.db, project.stoaDir, project.projectId, 'stoa dev')).key;
}

/**
 * Records `stoa dev`'s chain as the project's dev chain (`.stoa/chain.json`, marked as owned by
 * `stoa dev`), so that a deploy from the console (the SDK's deploy engine) lands on this chain,
 * beside this gateway, and its teardown leaves the chain running. Returns how to forget it.
 */
export function writeDevChainFile(
  stoaDir: string,
  chain: { rpcUrl: string; contractsFile: string; addresses: StoaAddresses },
): () => void {
  const file = join(stoaDir, 'chain.json');
  const record = { owner: 'stoa dev', pid: process.pid, ...chain };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return () => rmSync(file, { force: true });
}

/** The key of account `index` of anvil's public dev mnemonic (funded on every dev chain). */
export function devAccountKey(index: number): `0x${string}` {
  const key = mnemonicToAccount('test test test test test test test test test test test junk', {
    addressIndex: index,
  }).getHdKey().privateKey!;
  return toHex(key);
}

export function writeDevStackFile(stoaDir: string, stack: DevStackFile): void {
  writeFileSync(join(stoaDir, 'dev.json'), `${JSON.stringify(stack, null, 2)}\n`);
}
