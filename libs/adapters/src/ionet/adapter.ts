import { pollUntil } from '../core/backoff.js';
import { defineAdapter, type NetworkAdapter } from '../core/define-adapter.js';
import { CapacityError, classifyNetworkError, errorFromHttpStatus, TransientError } from '../core/errors.js';
import { httpJson } from '../core/http.js';
import { bodyLines, mergeAsync } from '../core/lines.js';
import { nodeEnvironment } from '../core/node-env.js';
import {
  type DeploymentRecord,
  type LogLine,
  type NodeSpec,
  type ReplicaStatus,
  statusOfReplicas,
} from '../core/types.js';

export interface IonetConfig {
  apiKey: string;
  /** Default `https://api.io.solutions`. */
  baseUrl?: string;
  /** Lease length requested from io.net, in hours (default 1). */
  durationHours?: number;
  readyTimeoutMs?: number;
}

const PREFIX = '/enterprise/v1/io-cloud/caas';

/** GPU kinds the adapter knows how to map to io.net hardware names. */
export const IONET_GPU_KINDS: Record<string, RegExp> = {
  'nvidia-h100': /h100/i,
  'nvidia-a100': /a100/i,
  'nvidia-rtx4090': /rtx\s*4090/i,
};

interface Hardware {
  hardware_id: number;
  hardware_name: string;
  brand_name: string;
  max_gpus_per_container: number;
  available: number;
}
interface Worker {
  container_id: string;
  status: string;
  public_url: string;
}

export function ionetAdapter(config: IonetConfig): NetworkAdapter {
  const name = 'ionet';
  const base = `${(config.baseUrl ?? 'https://api.io.solutions').replace(/\/$/, '')}${PREFIX}`;
  const headers = { 'x-api-key': config.apiKey };
  const api = <T>(
    path: string,
    opts: { method?: string; body?: unknown; retry?: boolean; okStatuses?: number[] } = {},
  ) => httpJson<T>(`${base}${path}`, { adapter: name, headers, ...opts });

  async function hardwareFor(spec: NodeSpec): Promise<Hardware> {
    const kind = spec.gpu!.kind;
    const res = await api<{ data: { hardware: Hardware[] } }>('/hardware/max-gpus-per-container');
    const hw = res.data.hardware.find((h) => IONET_GPU_KINDS[kind]?.test(h.hardware_name));
    if (!hw)
      throw new CapacityError('no-capacity', `io.net lists no ${kind} hardware right now`, { adapter: name });
    return hw;
  }

  async function locationsFor(spec: NodeSpec, hw: Hardware): Promise<string[]> {
    const res = await api<{ data: { location_id: string; available_replicas: number }[] }>(
      `/available-replicas?hardware_id=${hw.hardware_id}&hardware_qty=${spec.gpu!.count}`,
    );
    const ok = res.data
      .filter((l) => l.available_replicas >= spec.replicas && (!spec.region || l.location_id === spec.region))
      .map((l) => l.location_id);
    if (!ok.length) {
      throw new CapacityError(
        'no-capacity',
        `no io.net location has ${spec.replicas} free ${hw.hardware_name} replica(s)${spec.region ? ` in ${spec.region}` : ''}`,
        { adapter: name, hint: 'try another network, region or GPU' },
      );
    }
    return ok;
  }

  async function findByName(id: string): Promise<string | undefined> {
    const res = await api<{ data: { deployments: { id: string; name: string; status: string }[] } }>(
      '/deployments',
    );
    return res.data.deployments.find((d) => d.name === id && d.status !== 'destroyed')?.id;
  }

  const workers = async (depId: string) =>
    (await api<{ data: { workers: Worker[] } }>(`/deployment/${depId}/containers`)).data.workers;

  async function health(url: string): Promise<ReplicaStatus['health']> {
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
      if (!r.ok) return 'unreachable';
      return ((await r.json()) as { state: ReplicaStatus['health'] }).state;
    } catch {
      return 'unreachable';
    }
  }

  return defineAdapter({
    name,
    capabilities: { gpu: Object.keys(IONET_GPU_KINDS), multiReplica: true, logStreaming: true },
    validate: (spec) =>
      spec.gpu ? [] : [{ path: 'gpu', message: 'io.net deployments need a GPU (gpu.kind, gpu.count)' }],
    async quote(spec) {
      const hw = await hardwareFor(spec);
      const res = await api<{ data: { total_cost_usdc: number; available_replicas: number } }>(
        `/price?hardware_id=${hw.hardware_id}&gpus_per_container=${spec.gpu!.count}&replica_count=1&duration_hours=1&currency=usdc`,
      );
      return [
        {
          adapter: name,
          pricePerHourUsd: res.data.total_cost_usdc,
          gpu: spec.gpu!.kind,
          gpuCount: spec.gpu!.count,
          available: res.data.available_replicas,
          provider: hw.hardware_name,
        },
      ];
    },
    steps: [
      {
        name: 'deploy',
        async run({ spec, record, save }) {
          const existing = await findByName(record.id);
          if (existing) return { deploymentId: existing };
          const hw = await hardwareFor(spec);
          const locations = await locationsFor(spec, hw);
          const env = nodeEnvironment(spec, {
            listen: `0.0.0.0:${spec.port}`,
            dataDir: '/data',
            adapter: name,
          });
          const res = await api<{ status: string; deployment_id: string }>('/deploy', {
            method: 'POST',
            retry: false,
            body: {
              resource_private_name: record.id,
              duration_hours: config.durationHours ?? 1,
              gpus_per_container: spec.gpu!.count,
              hardware_id: hw.hardware_id,
              location_ids: locations,
              container_config: {
                replica_count: spec.replicas,
                // No key of any kind: the node makes its own and the operator authorizes it on chain.
                env_variables: env,
                traffic_port: spec.port,
                image_url: spec.image,
              },
            },
          });
          await save({ deploymentId: res.deployment_id });
          return { deploymentId: res.deployment_id, hardwareId: hw.hardware_id };
        },
      },
      {
        name: 'wait-running',
        async run({ spec, data }) {
          const depId = data.deploymentId as string;
          const ws = await pollUntil(
            async () => {
              const w = await workers(depId);
              return w.length === spec.replicas && w.every((x) => x.status === 'running') ? w : undefined;
            },
            { timeoutMs: config.readyTimeoutMs ?? 30_000, intervalMs: 50 },
          );
          if (!ws)
            throw new TransientError('timeout', `io.net deployment ${depId} not running in time`, {
              adapter: name,
            });
          for (const w of ws) {
            const ok = await pollUntil(
              async () => ((await health(w.public_url)) === 'ready' ? true : undefined),
              {
                timeoutMs: config.readyTimeoutMs ?? 30_000,
              },
            );
            if (!ok) {
              throw new CapacityError(
                'provider-failed',
                `io.net container ${w.container_id} never became healthy`,
                {
                  adapter: name,
                },
              );
            }
          }
          return { containers: ws.map((w) => ({ id: w.container_id, url: w.public_url })) };
        },
      },
    ],
    async status(record: DeploymentRecord) {
      const depId = record.data.deploymentId as string | undefined;
      if (!depId) return { state: 'provisioning', endpoints: [], replicas: [] };
      const ws = await workers(depId);
      const replicas: ReplicaStatus[] = await Promise.all(
        ws.map(async (w) => ({
          id: w.container_id,
          endpoint: w.public_url,
          health:
            w.status === 'running'
              ? await health(w.public_url)
              : w.status === 'terminated'
                ? 'stopped'
                : 'starting',
        })),
      );
      return statusOfReplicas(record, replicas);
    },
    async *logs(record, opts): AsyncGenerator<LogLine> {
      const depId = record.data.deploymentId as string;
      const ws = await workers(depId);
      const one = async function* (w: Worker): AsyncGenerator<LogLine> {
        const q = new URLSearchParams({
          follow: String(!!opts.follow),
          ...(opts.tail ? { tail: String(opts.tail) } : {}),
        });
        let res: Response;
        try {
          res = await fetch(`${base}/deployment/${depId}/log/${w.container_id}?${q}`, {
            headers,
            signal: opts.signal,
          });
        } catch (e) {
          if (opts.signal?.aborted) return;
          throw classifyNetworkError(e, 'io.net logs', name);
        }
        if (!res.ok) throw errorFromHttpStatus(res.status, await res.text(), { adapter: name });
        for await (const line of bodyLines(res.body, opts.signal))
          yield { replica: w.container_id, stream: 'stdout', line };
      };
      yield* mergeAsync(ws.map(one));
    },
    async teardown(record) {
      const depId = (record.data.deploymentId as string | undefined) ?? (await findByName(record.id));
      if (depId) await api(`/deployment/${depId}`, { method: 'DELETE', okStatuses: [404] });
    },
  });
}
