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
import { bodyLines } from '../core/lines.js';
import { nodeEnvironment } from '../core/node-env.js';
import { nodeHealth, untilNodeReady } from '../core/node-ready.js';
import { type LogLine, type ReplicaStatus, statusOfReplicas } from '../core/types.js';
import { renderAuthHeaders } from './signing.js';

export interface RenderConfig {
  /** The public key, sent as `X-API-Key`. */
  keyId: string;
  /** The secret key: signs each request, never sent. */
  secret: string;
  /** Compute API base URL. */
  baseUrl: string;
  readyTimeoutMs?: number;
  /**
   * USD per GPU-hour by GPU kind, for quotes. Render's API has no price endpoint we could
   * confirm, so quotes come from the operator's own price table and fail without one.
   */
  pricePerGpuHourUsd?: Record<string, number>;
  /**
   * Authorize each node's own key on chain with the operator's key from this machine, as the
   * self-hosted, io.net and Akash adapters do (default: on). The node never receives the key.
   */
  authorizeNodes?: boolean;
  /** Money sent to each node's own address when authorizing it (default: see `authorizeNode`). */
  nodeGasWei?: bigint;
}

export type RenderJobStatus = 'PENDING' | 'ASSIGNED' | 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
interface JobView {
  object: 'job';
  uuid: string;
  title: string;
  status: RenderJobStatus;
}
interface RunView {
  object: 'job_run';
  uuid: string;
  job_uuid: string;
  status: string;
  node_urls: string[];
}

/** Stoa GPU kinds → Render's `gpu_name` and the VRAM asked for (names not confirmed: docs/adapters.md). */
export const RENDER_GPUS: Record<string, { gpuName: string; minVramGb: number }> = {
  'nvidia-rtx4090': { gpuName: 'RTX 4090', minVramGb: 24 },
  'nvidia-rtx3090': { gpuName: 'RTX 3090', minVramGb: 24 },
  'nvidia-a100': { gpuName: 'A100', minVramGb: 40 },
};
export const RENDER_GPU_KINDS = Object.keys(RENDER_GPUS);

/** `repo:tag` → (`repo`, `tag`); a digest or no tag keeps `latest` out of it. */
function imageParts(image: string): { image: string; tag: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { image: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/')
    ? { image: image.slice(0, colon), tag: image.slice(colon + 1) }
    : { image, tag: 'latest' };
}

export function renderAdapter(config: RenderConfig): NetworkAdapter {
  const name = 'render';
  const base = config.baseUrl.replace(/\/$/, '');
  const api = <T>(
    method: string,
    path: string,
    opts: { body?: unknown; retry?: boolean; okStatuses?: number[] } = {},
  ) => {
    const body = opts.body === undefined ? '' : JSON.stringify(opts.body);
    return httpJson<T>(`${base}${path}`, {
      adapter: name,
      method,
      body: body || undefined,
      // Signed per attempt: a retry carries a new time and nonce (a reused nonce is refused).
      headers: () => ({
        ...renderAuthHeaders(config.keyId, config.secret, method, path, body),
        ...(body ? { 'content-type': 'application/json' } : {}),
      }),
      retry: opts.retry,
      okStatuses: opts.okStatuses,
    });
  };
  const jobsTitled = async (title: string) =>
    (
      await api<{ data: JobView[] }>('GET', `/v1/jobs?filter[title]=${encodeURIComponent(title)}`)
    ).data.filter((j) => j.title === title && j.status !== 'CANCELLED' && j.status !== 'FAILED');
  const getJob = (uuid: string) => api<JobView>('GET', `/v1/jobs/${uuid}`);
  const runsOf = async (uuid: string) =>
    (await api<{ data: RunView[] }>('GET', `/v1/job-runs?filter[job_uuid]=${encodeURIComponent(uuid)}`)).data;

  const health = async (url: string): Promise<ReplicaStatus['health']> =>
    (await nodeHealth(url))?.state ?? 'unreachable';
  const authorize = nodeAuthorizer({
    ...(config.authorizeNodes !== undefined ? { enabled: config.authorizeNodes } : {}),
    ...(config.nodeGasWei !== undefined ? { gasWei: config.nodeGasWei } : {}),
  });

  return defineAdapter({
    name,
    capabilities: { gpu: RENDER_GPU_KINDS, multiReplica: false, logStreaming: true },
    validate: (spec) =>
      spec.gpu ? [] : [{ path: 'gpu', message: 'Render jobs need a GPU (gpu.kind, gpu.count)' }],
    async quote(spec) {
      const perGpu = config.pricePerGpuHourUsd?.[spec.gpu!.kind];
      if (perGpu === undefined) {
        throw new UserError('invalid-spec', `no Render price for ${spec.gpu!.kind}: set pricePerGpuHourUsd`, {
          adapter: name,
          fields: ['gpu.kind'],
          hint: "Render's public API documents no price endpoint; quotes use the operator's price table",
        });
      }
      return [
        {
          adapter: name,
          pricePerHourUsd: perGpu * spec.gpu!.count,
          gpu: spec.gpu!.kind,
          gpuCount: spec.gpu!.count,
        },
      ];
    },
    steps: [
      {
        name: 'create-job',
        async run({ spec, record, save }) {
          const [existing] = await jobsTitled(record.id);
          if (existing) return { jobId: existing.uuid };
          const env = nodeEnvironment(spec, {
            listen: `0.0.0.0:${spec.port}`,
            dataDir: '/data',
            adapter: name,
          });
          const gpu = RENDER_GPUS[spec.gpu!.kind]!;
          const job = await api<JobView>('POST', '/v1/jobs', {
            retry: false,
            body: {
              task: 'PERSISTENT',
              title: record.id,
              gpu_count: spec.gpu!.count,
              gpu_name: gpu.gpuName,
              min_vram_gb: gpu.minVramGb,
              parameters: {
                type: 'docker',
                parameters: { ...imageParts(spec.image), env, ports: [spec.port] },
              },
            },
          });
          await save({ jobId: job.uuid });
          return { jobId: job.uuid };
        },
      },
      {
        name: 'wait-running',
        async run({ spec, data }) {
          const jobId = data.jobId as string;
          const urls = await pollUntil(
            async () => {
              const job = await getJob(jobId);
              if (job.status === 'FAILED' || job.status === 'CANCELLED' || job.status === 'COMPLETED')
                throw new CapacityError('provider-failed', `Render job ${jobId} is ${job.status}`, {
                  adapter: name,
                });
              if (job.status !== 'RUNNING') return undefined;
              const run = (await runsOf(jobId)).find((r) => r.node_urls.length > 0);
              return run ? { run: run.uuid, urls: run.node_urls } : undefined;
            },
            { timeoutMs: config.readyTimeoutMs ?? 30_000, intervalMs: 50 },
          );
          if (!urls)
            throw new TransientError('timeout', `Render job ${jobId} not running in time`, { adapter: name });
          for (const url of urls.urls) {
            await untilNodeReady({
              url,
              spec,
              adapter: name,
              what: `Render node ${url} of job ${jobId}`,
              timeoutMs: config.readyTimeoutMs ?? 30_000,
              authorize,
              exited: async () => (await getJob(jobId)).status === 'FAILED',
            });
          }
          return { runId: urls.run, endpoints: urls.urls };
        },
      },
    ],
    async status(record) {
      const jobId = record.data.jobId as string | undefined;
      if (!jobId) return { state: 'provisioning', endpoints: [], replicas: [] };
      const [job, runs] = await Promise.all([getJob(jobId), runsOf(jobId)]);
      const over = job.status === 'CANCELLED' || job.status === 'COMPLETED';
      const replicas: ReplicaStatus[] = await Promise.all(
        runs.flatMap((r) =>
          r.node_urls.map(async (url) => ({
            id: r.uuid,
            endpoint: url,
            health: over
              ? 'stopped'
              : job.status === 'FAILED'
                ? 'failed'
                : job.status === 'RUNNING'
                  ? await health(url)
                  : 'starting',
          })),
        ),
      );
      return statusOfReplicas(record, replicas);
    },
    async *logs(record, opts): AsyncGenerator<LogLine> {
      const runId = record.data.runId as string;
      const q = new URLSearchParams({
        follow: String(!!opts.follow),
        ...(opts.tail ? { tail: String(opts.tail) } : {}),
      });
      const path = `/v1/job-runs/${runId}/logs?${q}`;
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          headers: renderAuthHeaders(config.keyId, config.secret, 'GET', path, ''),
          signal: opts.signal,
        });
      } catch (e) {
        if (opts.signal?.aborted) return;
        throw classifyNetworkError(e, 'render logs', name);
      }
      if (res.status === 404 || res.status === 405) {
        throw new UserError(
          'not-found',
          `Render answered ${res.status} for ${path}: this log endpoint is unconfirmed`,
          {
            adapter: name,
            hint: 'see docs/adapters.md (Render: unconfirmed)',
          },
        );
      }
      if (!res.ok) throw errorFromHttpStatus(res.status, await res.text(), { adapter: name });
      for await (const line of bodyLines(res.body, opts.signal))
        yield { replica: runId, stream: 'stdout', line };
    },
    async teardown(record) {
      const ids = record.data.jobId
        ? [record.data.jobId as string]
        : (await jobsTitled(record.id)).map((j) => j.uuid);
      for (const id of ids) await api('PUT', `/v1/jobs/${id}/cancel`, { okStatuses: [404, 409] });
    },
  });
}
