import { pollUntil } from '../core/backoff.js';
import { defineAdapter, type NetworkAdapter } from '../core/define-adapter.js';
import { CapacityError, classifyNetworkError, errorFromHttpStatus, TransientError } from '../core/errors.js';
import { httpJson } from '../core/http.js';
import { bodyLines, mergeAsync } from '../core/lines.js';
import { nodeEnvironment } from '../core/node-env.js';
import { type LogLine, type ReplicaStatus, statusOfReplicas } from '../core/types.js';
import { renderAuthHeaders } from './signing.js';

export interface RenderConfig {
  keyId: string;
  secret: string;
  /** Compute API base URL. */
  baseUrl: string;
  readyTimeoutMs?: number;
}

interface RunView {
  id: string;
  nodeId: string;
  state: string;
  url: string;
}
interface JobView {
  id: string;
  name: string;
  state: string;
  runs: RunView[];
}

export const RENDER_GPU_KINDS = ['nvidia-rtx4090', 'nvidia-a100', 'nvidia-rtx3090'];

export function renderAdapter(config: RenderConfig): NetworkAdapter {
  const name = 'render';
  const base = config.baseUrl.replace(/\/$/, '');
  const signed = (method: string, pathAndQuery: string, body = '') =>
    renderAuthHeaders(config.keyId, config.secret, method, pathAndQuery, body);
  const api = <T>(
    method: string,
    path: string,
    opts: { body?: unknown; retry?: boolean; okStatuses?: number[]; headers?: Record<string, string> } = {},
  ) => {
    const body = opts.body === undefined ? '' : JSON.stringify(opts.body);
    // sign per attempt: the timestamp is part of the signature
    return httpJson<T>(`${base}${path}`, {
      adapter: name,
      method,
      body: body || undefined,
      headers: { ...signed(method, path, body), ...opts.headers },
      retry: opts.retry,
      okStatuses: opts.okStatuses,
    });
  };
  const findByName = async (id: string) =>
    (await api<{ jobs: JobView[] }>('GET', `/v1/jobs?name=${encodeURIComponent(id)}`)).jobs.find(
      (j) => j.state !== 'cancelled',
    );
  const getJob = async (jobId: string) => (await api<{ job: JobView }>('GET', `/v1/jobs/${jobId}`)).job;
  async function health(url: string): Promise<ReplicaStatus['health']> {
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
      return r.ok ? ((await r.json()) as { state: ReplicaStatus['health'] }).state : 'unreachable';
    } catch {
      return 'unreachable';
    }
  }

  return defineAdapter({
    name,
    capabilities: { gpu: RENDER_GPU_KINDS, multiReplica: true, logStreaming: true },
    validate: (spec) =>
      spec.gpu ? [] : [{ path: 'gpu', message: 'Render jobs need a GPU (gpu.kind, gpu.count)' }],
    async quote(spec) {
      const q = await api<{ pricePerHourUsd: number; availableNodes: number }>(
        'GET',
        `/v1/pricing?gpu=${spec.gpu!.kind}`,
      );
      return [
        {
          adapter: name,
          pricePerHourUsd: q.pricePerHourUsd * spec.gpu!.count,
          gpu: spec.gpu!.kind,
          gpuCount: spec.gpu!.count,
          available: q.availableNodes,
        },
      ];
    },
    steps: [
      {
        name: 'create-job',
        async run({ spec, record }) {
          const env = nodeEnvironment(spec, {
            listen: `0.0.0.0:${spec.port}`,
            dataDir: '/data',
            adapter: name,
          });
          // The idempotency key makes a retried or resumed create return the same job.
          const { job } = await api<{ job: JobView }>('POST', '/v1/jobs', {
            headers: { 'idempotency-key': `stoa-${record.id}-${record.createdAt}` },
            body: {
              name: record.id,
              image: spec.image,
              env,
              port: spec.port,
              replicas: spec.replicas,
              gpu: { model: spec.gpu!.kind, count: spec.gpu!.count },
              ...(spec.maxPricePerHourUsd ? { maxPricePerHourUsd: spec.maxPricePerHourUsd } : {}),
            },
          });
          return { jobId: job.id };
        },
      },
      {
        name: 'wait-running',
        async run({ spec, data }) {
          const jobId = data.jobId as string;
          const job = await pollUntil(
            async () => {
              const j = await getJob(jobId);
              if (j.state === 'cancelled')
                throw new CapacityError('provider-failed', `Render job ${jobId} was cancelled`, {
                  adapter: name,
                });
              return j.runs.length === spec.replicas && j.runs.every((r) => r.state === 'running')
                ? j
                : undefined;
            },
            { timeoutMs: config.readyTimeoutMs ?? 30_000, intervalMs: 50 },
          );
          if (!job)
            throw new TransientError('timeout', `Render job ${jobId} not running in time`, { adapter: name });
          for (const r of job.runs) {
            if (
              !(await pollUntil(async () => ((await health(r.url)) === 'ready' ? true : undefined), {
                timeoutMs: 10_000,
              }))
            ) {
              throw new CapacityError('provider-failed', `Render node ${r.nodeId} never became healthy`, {
                adapter: name,
              });
            }
          }
          return { runs: job.runs.map((r) => ({ id: r.id, nodeId: r.nodeId, url: r.url })) };
        },
      },
    ],
    async status(record) {
      const jobId = record.data.jobId as string | undefined;
      if (!jobId) return { state: 'provisioning', endpoints: [], replicas: [] };
      const job = await getJob(jobId);
      const replicas: ReplicaStatus[] = await Promise.all(
        job.runs.map(async (r) => ({
          id: r.id,
          endpoint: r.url,
          health:
            r.state === 'running' ? await health(r.url) : r.state === 'cancelled' ? 'stopped' : 'starting',
        })),
      );
      return statusOfReplicas(record, replicas);
    },
    async *logs(record, opts): AsyncGenerator<LogLine> {
      const jobId = record.data.jobId as string;
      const job = await getJob(jobId);
      const one = async function* (r: RunView): AsyncGenerator<LogLine> {
        const path = `/v1/jobs/${jobId}/runs/${r.id}/logs?follow=${opts.follow ? 1 : 0}${opts.tail ? `&tail=${opts.tail}` : ''}`;
        let res: Response;
        try {
          res = await fetch(`${base}${path}`, { headers: signed('GET', path), signal: opts.signal });
        } catch (e) {
          if (opts.signal?.aborted) return;
          throw classifyNetworkError(e, 'render logs', name);
        }
        if (!res.ok) throw errorFromHttpStatus(res.status, await res.text(), { adapter: name });
        for await (const line of bodyLines(res.body, opts.signal))
          yield { replica: r.id, stream: 'stdout', line };
      };
      yield* mergeAsync(job.runs.map(one));
    },
    async teardown(record) {
      const jobId = (record.data.jobId as string | undefined) ?? (await findByName(record.id))?.id;
      if (jobId) await api('POST', `/v1/jobs/${jobId}/cancel`, { okStatuses: [404] });
    },
  });
}
