import type { LiveDeployment } from '../store/gateway-store.js';
import { ReplicaState } from './replica.js';

/** A deployed model the gateway routes to. */
export interface DeployedModel {
  readonly deploymentId: string;
  readonly name: string;
  readonly modelId: string;
  readonly artifactUrl: string | null;
  readonly replicas: readonly ReplicaState[];
}

/**
 * The live deployments and their running replicas, read from the control plane's database
 * every `refreshMs`, and each replica's health polled from its /health every `healthMs`
 * (ready, and the node address that signs its receipts). Replica state (breaker, latency)
 * survives refreshes.
 */
export class Catalog {
  private byName = new Map<string, DeployedModel>();
  private replicas = new Map<string, ReplicaState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    /** The live deployments and their running replicas (GatewayStore `liveDeployments`). */
    private readonly live: () => Promise<readonly LiveDeployment[]>,
    /** Coalesced batches kept in flight to each replica (coalesce.ts). */
    private readonly replicaOptions: { readonly batchesInFlight?: number } = {},
    private readonly refreshMs = 1_000,
    private readonly healthMs = 500,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    await this.probeAll();
    this.every(this.refreshMs, () => this.refresh());
    this.every(this.healthMs, () => this.probeAll());
  }

  /** By name or by modelId (0x…, case-insensitive). */
  find(model: string): DeployedModel | undefined {
    return this.byName.get(model) ?? this.byName.get(model.toLowerCase());
  }

  models(): DeployedModel[] {
    return [...new Set(this.byName.values())];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.replicas.values()].map((r) => r.close()));
  }

  private every(ms: number, work: () => Promise<void>): void {
    const loop = () => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void work()
          .catch(() => undefined)
          .finally(loop);
      }, ms);
      timer.unref();
      this.timers.add(timer);
    };
    loop();
  }

  async refresh(): Promise<void> {
    const deployments = await this.live();
    const byName = new Map<string, DeployedModel>();
    const seen = new Map<string, ReplicaState>();
    for (const d of deployments) {
      const replicas = d.replicas.map((r) => {
        const known = this.replicas.get(r.id);
        const state =
          known && known.url === r.endpoint
            ? known
            : new ReplicaState(r.id, r.network, r.endpoint, d.id, this.replicaOptions.batchesInFlight);
        seen.set(r.id, state);
        return state;
      });
      const entry: DeployedModel = {
        deploymentId: d.id,
        name: d.name,
        modelId: d.modelId.toLowerCase(),
        artifactUrl: d.artifactUrl,
        replicas,
      };
      // The newest live deployment of a model wins its name and id.
      byName.set(entry.name, entry);
      byName.set(entry.modelId, entry);
    }
    for (const [id, old] of this.replicas) if (!seen.has(id)) void old.close();
    this.replicas = seen;
    this.byName = byName;
  }

  private async probeAll(): Promise<void> {
    await Promise.all([...this.replicas.values()].map((r) => probe(r)));
  }
}

async function probe(replica: ReplicaState): Promise<void> {
  try {
    const { statusCode, body } = await replica.pool.request({
      path: '/health',
      method: 'GET',
      headersTimeout: 2_000,
      bodyTimeout: 2_000,
    });
    const health = (await body.json()) as { state?: string; node?: string };
    replica.healthy = statusCode === 200 && (health.state === 'ready' || health.state === 'busy');
    if (typeof health.node === 'string') replica.node = health.node.toLowerCase();
  } catch {
    replica.healthy = false;
  }
}
