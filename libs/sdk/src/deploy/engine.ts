import { join } from 'node:path';
import type { NetworkAdapter } from '@stoa/adapters';
import { decodeModel } from '@stoa/ir';
import { mnemonicToAccount } from 'viem/accounts';
import type { LoadedConfig } from '../config/load.js';
import type { StoaDb } from '../db/client.js';
import { changeKeys } from '../gateway/key-version.js';
import { gatewayPublicKeyFromEnv } from '../gateway/signing.js';
import { putArtifact } from '../store/artifact-store.js';
import { buildModel } from './build.js';
import { ensureDeploymentEscrow } from './fees.js';
import { type CreatedKey, createApiKey } from './keys.js';
import { adapterFor } from './network-adapters.js';
import { BudgetError, nextBest, type Plan, planFromQuotes, quoteNetworks, specFor } from './plan.js';
import { ensureProject, recordEvent } from './project.js';
import { DbRecordStore } from './record-store.js';
import { nextAttemptId, placementOf } from './replica-ids.js';
import { ensureArtifactStore, ensureDevChain, ensureRegistered } from './services.js';

/** Deployment states, in order; each is persisted once its step has completed. */
export const DEPLOY_STATES = ['planned', 'published', 'registered', 'provisioned', 'live'] as const;
export type DeployState = (typeof DEPLOY_STATES)[number] | 'failed' | 'torn-down';

export interface DeployEvents {
  /** A step starts ('start') or completes ('done'); `detail` is one readable line. */
  step?(name: string, phase: 'start' | 'done' | 'skipped', detail?: string): void;
  /** A decision taken with its reason (failover, budget). */
  decision?(text: string): void;
}

export interface DeployResult {
  readonly deploymentId: string;
  readonly plan: Plan;
  readonly endpoints: string[];
  /** Issued by this run (undefined when a previous run already went live). */
  readonly apiKey?: CreatedKey;
  readonly resumed: boolean;
}

/** Anvil's default mnemonic: its dev accounts are public knowledge and never hold value. */
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** Distinct dev-chain operator keys for each placement (accounts 4.. of anvil's mnemonic). */
function operatorKeyRef(slot: number): string {
  const name = `STOA_DEV_OPERATOR_KEY_${slot}`;
  const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 4 + (slot % 6) });
  const key = account.getHdKey().privateKey!;
  process.env[name] = `0x${Buffer.from(key).toString('hex')}`;
  return `env:${name}`;
}

/**
 * What lets a deployment's nodes take inference from its gateway only: the gateway's public
 * key and the deployment's id (both public, so they may sit in any manifest). None when this
 * machine knows no gateway key (gatewayPublicKeyFromEnv).
 */
function gatewayAccess(deploymentId: string): Record<string, string> {
  const publicKey = gatewayPublicKeyFromEnv();
  return publicKey ? { STOA_GATEWAY_PUBLIC_KEY: publicKey, STOA_GATEWAY_DEPLOYMENT_ID: deploymentId } : {};
}

/** Replica rows remember which configured network they were placed on. */
function networkIndexOf(row: { provider: string | null }): number {
  return Number((JSON.parse(row.provider ?? '{}') as { networkIndex?: number }).networkIndex ?? -1);
}

export class DeployEngine {
  readonly stoaDir: string;
  private readonly store: DbRecordStore;
  private readonly adapters = new Map<number, Promise<NetworkAdapter>>();

  constructor(
    readonly project: LoadedConfig,
    readonly db: StoaDb,
    readonly events: DeployEvents = {},
  ) {
    this.stoaDir = join(project.dir, '.stoa');
    this.store = new DbRecordStore(db);
  }

  /** The adapter of the config's network `index` (one per engine and network). */
  adapter(index: number): Promise<NetworkAdapter> {
    let adapter = this.adapters.get(index);
    if (!adapter) {
      adapter = adapterFor(this.project.config.networks[index]!, this.project.dir, this.stoaDir);
      this.adapters.set(index, adapter);
    }
    return adapter;
  }

  private async step<T>(name: string, work: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
    this.events.step?.(name, 'start');
    const result = await work();
    this.events.step?.(name, 'done', detail?.(result));
    return result;
  }

  /** Quotes every network and plans; creates nothing. */
  async plan(): Promise<Plan> {
    const quotes = await quoteNetworks(this.project.config, (i) => this.adapter(i));
    return planFromQuotes(this.project.config, quotes);
  }

  /** The deployment of this project that is not torn down, if any. */
  async active() {
    const project = await ensureProject(this.db, this.project);
    return this.db.deployment.findFirst({
      where: { projectId: project.id, name: this.project.config.name, state: { notIn: ['torn-down'] } },
      orderBy: { createdAt: 'desc' },
    });
  }

  /** Runs (or resumes) the deployment to live. Each step checks what is already done. */
  async deploy(): Promise<DeployResult> {
    const project = await ensureProject(this.db, this.project);
    let deployment = await this.active();
    const resumed = deployment !== null;
    if (!deployment) {
      const plan = await this.step(
        'plan',
        () => this.plan(),
        (p) => `$${p.perHourUsd.toFixed(4)}/h`,
      );
      const build = await this.step(
        'build',
        () => buildModel(this.project),
        (b) => b.modelId,
      );
      const model = await this.db.model.upsert({
        where: { projectId_modelId: { projectId: project.id, modelId: build.modelId } },
        create: {
          projectId: project.id,
          name: this.project.config.name,
          modelId: build.modelId,
          weightsRoot: build.weightsRoot,
          onnxPath: this.project.config.model.onnx,
          activationBits: this.project.config.model.activationBits,
          floatAccuracy: build.floatAccuracy ?? null,
          intAccuracy: build.intAccuracy ?? null,
        },
        update: {},
      });
      deployment = await this.db.deployment.create({
        data: {
          projectId: project.id,
          modelRef: model.id,
          name: this.project.config.name,
          state: 'planned',
          plan: JSON.stringify(plan),
          maxPerHourUsd: plan.budget.maxPerHour,
          maxTotalUsd: plan.budget.maxTotal ?? null,
          quotes: {
            create: plan.quotes.flatMap((q) =>
              q.offers.map((o) => ({
                network: q.network,
                gpu: o.gpu,
                gpuCount: o.gpuCount,
                region: o.region ?? null,
                provider: o.provider ?? null,
                pricePerHourUsd: o.pricePerHourUsd,
                available: o.available ?? null,
                chosen: plan.placements.some((p) => p.quote === o),
              })),
            ),
          },
        },
      });
      for (const decision of plan.decisions) await this.decide(deployment.id, 'plan', decision);
    } else {
      this.events.step?.('plan', 'skipped', `resuming deployment ${deployment.id} (${deployment.state})`);
    }
    const plan = JSON.parse(deployment.plan) as Plan;
    const id = deployment.id;
    const modelRow = await this.db.model.findUniqueOrThrow({ where: { id: deployment.modelRef } });

    const artifactUrl = await this.step(
      'publish',
      () => this.publish(id, modelRow.id),
      (u) => `${u.slice(0, u.lastIndexOf('/') + 13)}… (content-addressed)`,
    );
    const chain = await this.step(
      'register',
      async () => {
        const chain = await ensureDevChain(this.stoaDir);
        const bytes = (await import('node:fs')).readFileSync(join(this.stoaDir, 'build', 'model.stoa'));
        const registered = await ensureRegistered(chain, decodeModel(new Uint8Array(bytes)));
        await this.advance(id, 'registered', { registrationTx: chain.rpcUrl });
        return { chain, registered };
      },
      (r) => `${r.registered ? 'registered' : 'already registered'} on ${r.chain.rpcUrl}`,
    );
    if (this.project.config.budget.maxFees !== undefined) {
      const model = { modelId: modelRow.modelId as `0x${string}`, config: this.project.config };
      await this.step(
        'escrow',
        () => ensureDeploymentEscrow(this.db, id, chain.chain, this.stoaDir, model),
        (ref) => `FeeEscrow ${ref!.address} #${ref!.deploymentId}, cap budget.maxFees`,
      );
    }

    await this.step(
      'provision',
      () => this.provisionAll(id, plan, { artifactUrl, chain: chain.chain, modelId: modelRow.modelId }),
      (n) => `${n} placement(s) running`,
    );
    const endpoints = await this.step(
      'health',
      () => this.endpoints(id),
      (e) => e.join(', '),
    );

    const current = await this.db.deployment.findUniqueOrThrow({ where: { id } });
    let apiKey: CreatedKey | undefined;
    if (current.state !== 'live') {
      apiKey = await this.step(
        'key',
        async () => {
          // A key issued by a run that was killed before going live was never shown: revoke it.
          await changeKeys(this.db, project.id, (tx) =>
            tx.apiKey.updateMany({
              where: { projectId: project.id, name: `deploy:${id}`, revokedAt: null },
              data: { revokedAt: new Date() },
            }),
          );
          return createApiKey(this.db, this.stoaDir, project.id, `deploy:${id}`, {
            allowedModels: [modelRow.modelId],
          });
        },
        (k) => k.prefix,
      );
      await this.advance(id, 'live', { endpoint: endpoints[0] ?? null });
    }
    return { deploymentId: id, plan, endpoints, ...(apiKey ? { apiKey } : {}), resumed };
  }

  private async advance(id: string, state: DeployState, data: Record<string, unknown> = {}): Promise<void> {
    const row = await this.db.deployment.findUniqueOrThrow({ where: { id } });
    const order = (s: string) => DEPLOY_STATES.indexOf(s as (typeof DEPLOY_STATES)[number]);
    const next = order(state) > order(row.state) ? state : row.state;
    await this.db.deployment.update({ where: { id }, data: { state: next, ...data } });
    if (next !== row.state) await recordEvent(this.db, id, state, 'done', JSON.stringify(data));
  }

  private async decide(deploymentId: string, step: string, text: string): Promise<void> {
    this.events.decision?.(text);
    await recordEvent(this.db, deploymentId, step, 'decision', text);
    await this.db.auditLog.create({
      data: {
        actor: 'deploy',
        action: 'decision',
        subject: deploymentId,
        detail: JSON.stringify({ step, text }),
      },
    });
  }

  private async publish(id: string, modelRef: string): Promise<string> {
    const bytes = (await import('node:fs')).readFileSync(join(this.stoaDir, 'build', 'model.stoa'));
    const store = await ensureArtifactStore(this.stoaDir);
    const { digest, sizeBytes } = putArtifact(store.dir, bytes);
    const url = `${store.url}/${digest}`;
    await this.db.artifact.upsert({
      where: { digest },
      create: { modelRef, digest, sizeBytes, url },
      update: { url },
    });
    await this.advance(id, 'published', { artifactUrl: url });
    return url;
  }

  /**
   * Brings every placement of the plan to a running replica set. A placement's attempts are
   * Replica rows `<name>-p<i>-a<n>`; the row is written before the network is called, so a rerun
   * resumes the same adapter deployment (no duplicate lease). A network that refuses is torn
   * down and replaced by the next-best network within budget, with the reason recorded.
   */
  private async provisionAll(
    id: string,
    plan: Plan,
    env: { artifactUrl: string; chain: { rpcUrl: string; contractsFile: string }; modelId: string },
  ): Promise<number> {
    const config = this.project.config;
    for (const [p, placement] of plan.placements.entries()) {
      const prefix = `${config.name}-p${p}-`;
      for (;;) {
        const attempts = await this.db.replica.findMany({
          where: { deploymentId: id, adapterId: { startsWith: prefix } },
          orderBy: { createdAt: 'asc' },
        });
        const last = attempts.at(-1);
        if (last?.state === 'running') break;
        let networkIndex = placement.networkIndex;
        let price = placement.quote.pricePerHourUsd;
        if (last?.state === 'failed') {
          const next = await this.failover(id, plan, p, attempts);
          networkIndex = next.networkIndex;
          price = next.best!.pricePerHourUsd;
        }
        const row =
          last && last.state === 'provisioning'
            ? last
            : await this.db.replica.create({
                data: {
                  deploymentId: id,
                  network: plan.quotes[networkIndex]!.network,
                  adapterId: nextAttemptId(
                    prefix,
                    (
                      await this.db.replica.findMany({
                        where: { adapterId: { startsWith: prefix } },
                        select: { adapterId: true },
                      })
                    ).map((r) => r.adapterId),
                  ),
                  state: 'provisioning',
                  pricePerHourUsd: price,
                  gpu: config.networks[networkIndex]!.gpu,
                  provider: JSON.stringify({ networkIndex }),
                },
              });
        const index = networkIndexOf(row);
        const network = config.networks[index]!;
        const adapter = await this.adapter(index);
        this.events.step?.(`provision ${row.adapterId} on ${row.network}`, 'start');
        try {
          const record = await adapter.provision(
            {
              ...specFor(config, network, placement.replicas),
              name: row.adapterId,
              modelId: env.modelId,
              artifactUrl: env.artifactUrl,
              rpcUrl: env.chain.rpcUrl,
              contractsFile: env.chain.contractsFile,
              operatorKeyRef: operatorKeyRef(p),
              env: { STOA_POLL_MS: '300', STOA_BATCH_SIZE: '1', ...gatewayAccess(id) },
            },
            { store: this.store, id: row.adapterId },
          );
          const endpoints = (record.data.endpoints as string[] | undefined) ?? [];
          await this.db.replica.update({
            where: { id: row.id },
            data: { state: 'running', endpoint: endpoints[0] ?? null, healthyAt: new Date() },
          });
          this.events.step?.(`provision ${row.adapterId} on ${row.network}`, 'done', endpoints.join(', '));
          await recordEvent(
            this.db,
            id,
            'provision',
            'done',
            `${row.adapterId} on ${row.network}: ${endpoints.join(', ')}`,
          );
        } catch (error) {
          const { isAdapterError } = await import('@stoa/adapters');
          const reason = isAdapterError(error)
            ? `${error.kind}/${error.code}: ${error.message}`
            : (error as Error).message;
          const record = await this.store.get(row.adapterId);
          if (record) await adapter.teardown(record, { store: this.store }).catch(() => {});
          await this.db.replica.update({
            where: { id: row.id },
            data: { state: 'failed', tornDownAt: new Date() },
          });
          await this.decide(id, 'provision', `${row.adapterId} on ${row.network} refused: ${reason}`);
        }
      }
    }
    await this.advance(id, 'provisioned');
    return plan.placements.length;
  }

  /** The next-best network for placement `p` after its last attempt failed, within budget. */
  private async failover(
    id: string,
    plan: Plan,
    p: number,
    attempts: { network: string; provider: string | null }[],
  ) {
    const placement = plan.placements[p]!;
    const tried = new Set(attempts.map((a) => networkIndexOf(a)));
    const others = await this.db.replica.findMany({
      where: { deploymentId: id, state: { in: ['running', 'provisioning'] } },
    });
    const otherPerHour = others.reduce(
      (sum, r) => sum + r.pricePerHourUsd * (plan.placements[placementOf(r.adapterId)]?.replicas ?? 1),
      0,
    );
    const next = nextBest(plan.quotes, tried, placement.replicas, otherPerHour, plan.budget.maxPerHour);
    const failedOn = attempts.map((a) => a.network).join(', ');
    if (!next) {
      const text = `placement ${p} (${placement.replicas} replica(s)): failed on ${failedOn}, and no other network has an offer within budget.maxPerHour $${plan.budget.maxPerHour}/h (already committed: $${otherPerHour}/h)`;
      await this.decide(id, 'provision', text);
      throw new BudgetError(text);
    }
    await this.decide(
      id,
      'provision',
      `placement ${p}: failed on ${failedOn}; moving to ${next.network} at $${next.best!.pricePerHourUsd}/h per replica (next-best within budget)`,
    );
    return next;
  }

  /** Every running replica's endpoint, after checking each answers healthy through its adapter. */
  private async endpoints(id: string): Promise<string[]> {
    const rows = await this.db.replica.findMany({
      where: { deploymentId: id, state: 'running' },
      orderBy: { createdAt: 'asc' },
    });
    const endpoints: string[] = [];
    for (const row of rows) {
      const record = await this.store.get(row.adapterId);
      const index = networkIndexOf(row);
      const status = record ? await (await this.adapter(index)).status(record) : undefined;
      if (status?.state !== 'running') {
        throw new Error(
          `${row.adapterId} on ${row.network} is ${status?.state ?? 'missing'}; run 'stoa deploy' again to replace it`,
        );
      }
      endpoints.push(...status.endpoints);
    }
    return endpoints;
  }
}
