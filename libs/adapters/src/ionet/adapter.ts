import { z } from 'zod';
import { nodeAuthorizer } from '../core/authorize.js';
import { pollUntil } from '../core/backoff.js';
import { defineAdapter, type NetworkAdapter } from '../core/define-adapter.js';
import {
  CapacityError,
  classifyNetworkError,
  errorFromHttpStatus,
  TransientError,
  UserError,
} from '../core/errors.js';
import { httpJson } from '../core/http.js';
import { bodyLines, mergeAsync, sseData } from '../core/lines.js';
import { nodeEnvironment } from '../core/node-env.js';
import { nodeHealth, untilNodeReady } from '../core/node-ready.js';
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
  /**
   * Credentials for a private image registry, sent in the deploy body's `registry_config` (io.net's
   * own mechanism for them). `secretRef` is `env:NAME` on the operator's machine; the secret is
   * read when the request is made and never stored in the deployment record.
   */
  registry?: { username: string; secretRef: string };
  /**
   * When a container's node reports that it awaits its operator's authorization and the spec
   * names the operator key on this machine (`operatorKeyRef`), authorize it from here, as the
   * self-hosted adapter does (default: on). The key signs here only; the node never receives it.
   */
  authorizeNodes?: boolean;
  /** Money sent to each node's own address when authorizing it (default: see `authorizeNode`). */
  nodeGasWei?: bigint;
}

const PREFIX = '/enterprise/v1/io-cloud/caas';
const PAGE_SIZE = 10;

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
interface Location {
  id: number;
  iso2: string;
  name: string;
  available_replicas: number;
}
interface Worker {
  container_id: string;
  status: string;
  public_url: string;
}

/**
 * Response fields that io.net's public pages do not show (docs/adapters.md, "unconfirmed"): a
 * response without them stops the adapter with the endpoint and field named, instead of a guess.
 */
const RESPONSES = {
  '/available-replicas': z.object({
    data: z.array(
      z.object({ id: z.number(), iso2: z.string(), name: z.string(), available_replicas: z.number() }),
    ),
  }),
  '/price': z.object({
    data: z.object({
      total_cost_usdc: z.number(),
      // A number in the review; the vmaas price page documents an array: both are read.
      available_replica_count: z.union([z.number(), z.array(z.number())]),
    }),
  }),
  '/deployments': z.object({
    data: z.object({
      total: z.number(),
      deployments: z.array(z.object({ id: z.string(), name: z.string(), status: z.string() })),
    }),
  }),
} as const;

function expectShape<K extends keyof typeof RESPONSES>(
  endpoint: K,
  value: unknown,
): z.infer<(typeof RESPONSES)[K]> {
  const parsed = RESPONSES[endpoint].safeParse(value);
  if (parsed.success) return parsed.data as z.infer<(typeof RESPONSES)[K]>;
  const issue = parsed.error.issues[0]!;
  throw new CapacityError(
    'provider-failed',
    `io.net ${endpoint} answered without the expected ${issue.path.join('.') || 'body'} (${issue.message}); this field is unconfirmed in io.net's public docs`,
    { adapter: 'ionet', hint: 'see docs/adapters.md (io.net table); deploy elsewhere meanwhile' },
  );
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

  /** Locations (`{id, iso2, name, available_replicas}`) with room for the spec; `region` matches iso2 or name. */
  async function locationsFor(spec: NodeSpec, hw: Hardware): Promise<number[]> {
    const res: { data: Location[] } = expectShape(
      '/available-replicas',
      await api(`/available-replicas?hardware_id=${hw.hardware_id}&hardware_qty=${spec.gpu!.count}`),
    );
    const region = spec.region?.toLowerCase();
    const ok = res.data
      .filter(
        (l) =>
          l.available_replicas >= spec.replicas &&
          (!region || l.iso2.toLowerCase() === region || l.name.toLowerCase() === region),
      )
      .map((l) => l.id);
    if (!ok.length) {
      throw new CapacityError(
        'no-capacity',
        `no io.net location has ${spec.replicas} free ${hw.hardware_name} replica(s)${spec.region ? ` in ${spec.region}` : ''}`,
        { adapter: name, hint: 'try another network, region or GPU' },
      );
    }
    return ok;
  }

  /** `/deployments` is paginated (10 a page by default): resuming by name reads every page. */
  async function findByName(id: string): Promise<string | undefined> {
    for (let page = 1; ; page++) {
      const res = expectShape('/deployments', await api(`/deployments?page=${page}&page_size=${PAGE_SIZE}`));
      const found = res.data.deployments.find((d) => d.name === id && d.status !== 'destroyed');
      if (found) return found.id;
      if (res.data.deployments.length < PAGE_SIZE || page * PAGE_SIZE >= res.data.total) return undefined;
    }
  }

  function registryConfig(image: string): Record<string, string> {
    if (!config.registry) return { image_url: image };
    const ref = config.registry.secretRef;
    const secret = ref.startsWith('env:') ? process.env[ref.slice(4)] : undefined;
    if (!secret) {
      throw new UserError(
        'invalid-spec',
        `registry.secretRef must be env:NAME of a set variable, not '${ref}'`,
        {
          adapter: name,
          fields: ['registry.secretRef'],
        },
      );
    }
    return { image_url: image, registry_username: config.registry.username, registry_secret: secret };
  }

  const workers = async (depId: string) =>
    (await api<{ data: { workers: Worker[] } }>(`/deployment/${depId}/containers`)).data.workers;

  const health = async (url: string): Promise<ReplicaStatus['health']> =>
    (await nodeHealth(url))?.state ?? 'unreachable';
  const authorize = nodeAuthorizer({
    ...(config.authorizeNodes !== undefined ? { enabled: config.authorizeNodes } : {}),
    ...(config.nodeGasWei !== undefined ? { gasWei: config.nodeGasWei } : {}),
  });

  return defineAdapter({
    name,
    capabilities: { gpu: Object.keys(IONET_GPU_KINDS), multiReplica: true, logStreaming: true },
    validate: (spec) =>
      spec.gpu ? [] : [{ path: 'gpu', message: 'io.net deployments need a GPU (gpu.kind, gpu.count)' }],
    async quote(spec) {
      const hw = await hardwareFor(spec);
      const locations = await locationsFor(spec, hw);
      const q = new URLSearchParams({
        hardware_id: String(hw.hardware_id),
        gpus_per_container: String(spec.gpu!.count),
        replica_count: '1',
        duration_hours: '1',
        currency: 'usdc',
      });
      // One value holding a JSON array (io.net docs, caas/price-estimation: "list of ids in a form of json array").
      q.set('location_ids', JSON.stringify(locations));
      const res = expectShape('/price', await api(`/price?${q}`));
      const available = [res.data.available_replica_count].flat().reduce((a, b) => a + b, 0);
      return [
        {
          adapter: name,
          pricePerHourUsd: res.data.total_cost_usdc,
          gpu: spec.gpu!.kind,
          gpuCount: spec.gpu!.count,
          available,
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
              registry_config: registryConfig(spec.image),
              container_config: {
                replica_count: spec.replicas,
                // No key of any kind: the node makes its own and the operator authorizes it on chain.
                env_variables: env,
                traffic_port: spec.port,
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
            await untilNodeReady({
              url: w.public_url,
              spec,
              adapter: name,
              what: `io.net container ${w.container_id}`,
              timeoutMs: config.readyTimeoutMs ?? 30_000,
              authorize,
              exited: async () =>
                (await workers(depId)).find((x) => x.container_id === w.container_id)?.status ===
                'terminated',
            });
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
      const one = async function* (w: Worker, stream: 'stdout' | 'stderr'): AsyncGenerator<LogLine> {
        const q = new URLSearchParams({
          stream,
          follow: String(!!opts.follow),
          ...(opts.tail ? { tail: String(opts.tail) } : {}),
        });
        let res: Response;
        try {
          res = await fetch(`${base}/deployment/${depId}/log/${w.container_id}?${q}`, {
            headers: { ...headers, accept: 'text/event-stream' },
            signal: opts.signal,
          });
        } catch (e) {
          if (opts.signal?.aborted) return;
          throw classifyNetworkError(e, 'io.net logs', name);
        }
        if (!res.ok) throw errorFromHttpStatus(res.status, await res.text(), { adapter: name });
        for await (const line of sseData(bodyLines(res.body, opts.signal)))
          yield { replica: w.container_id, stream, line };
      };
      yield* mergeAsync(ws.flatMap((w) => [one(w, 'stdout'), one(w, 'stderr')]));
    },
    async teardown(record) {
      const depId = (record.data.deploymentId as string | undefined) ?? (await findByName(record.id));
      if (depId) await api(`/deployment/${depId}`, { method: 'DELETE', okStatuses: [404] });
    },
  });
}
