import { randomUUID } from 'node:crypto';
import { type RunningServer, sendJson, startServer, streamLog } from '../testing/server.js';
import { verifyRenderSignature } from './signing.js';

export interface RenderEmulatorOptions {
  keys: Record<string, string>; // key id -> secret
  credits?: number;
  /** Free nodes per GPU model. */
  nodes?: Record<string, number>;
  pricePerHour?: Record<string, number>;
  startupMs?: number;
}

interface Run {
  id: string;
  nodeId: string;
  state: 'starting' | 'running' | 'cancelled';
  url: string;
  started: number;
  logs: string[];
}
interface Job {
  id: string;
  name: string;
  idempotencyKey?: string;
  state: 'queued' | 'running' | 'cancelled';
  gpu: { model: string; count: number };
  runs: Run[];
}

/**
 * A local emulator of the Render Network compute API (v1 jobs) as the adapter uses it: HMAC-signed
 * requests, idempotency keys, credits and node capacity, runs with node URLs, logs and cancel.
 */
export class RenderEmulator {
  readonly jobs = new Map<string, Job>();
  credits: number;
  nodes: Record<string, number>;
  private srv!: RunningServer;
  constructor(readonly opts: RenderEmulatorOptions) {
    this.credits = opts.credits ?? 1000;
    this.nodes = { ...(opts.nodes ?? { 'nvidia-rtx4090': 6, 'nvidia-a100': 1 }) };
  }
  get url() {
    return this.srv.url;
  }
  activeRuns() {
    return [...this.jobs.values()].flatMap((j) => j.runs).filter((r) => r.state !== 'cancelled').length;
  }
  private price(model: string) {
    return (this.opts.pricePerHour ?? { 'nvidia-rtx4090': 0.45, 'nvidia-a100': 1.6 })[model] ?? 1;
  }
  private view(j: Job) {
    const now = Date.now();
    for (const r of j.runs) {
      if (r.state === 'starting' && now - r.started > (this.opts.startupMs ?? 80)) {
        r.state = 'running';
        r.logs.push(`${new Date().toISOString()} node ready`);
      }
    }
    if (j.state === 'queued' && j.runs.every((r) => r.state === 'running')) j.state = 'running';
    return {
      id: j.id,
      name: j.name,
      state: j.state,
      gpu: j.gpu,
      runs: j.runs.map(({ id, nodeId, state, url }) => ({ id, nodeId, state, url })),
    };
  }

  async start(): Promise<this> {
    this.srv = await startServer(async (req, res, body, url) => {
      const p = url.pathname;
      const nm = /^\/nodes\/([^/]+)\/health$/.exec(p);
      if (nm) {
        const run = [...this.jobs.values()].flatMap((j) => j.runs).find((r) => r.nodeId === nm[1]);
        return run?.state === 'running'
          ? sendJson(res, 200, { state: 'ready' })
          : sendJson(res, 502, { error: 'no such node' });
      }
      const keyId = String(req.headers['x-render-key-id'] ?? '');
      const secret = this.opts.keys[keyId];
      if (
        !secret ||
        !verifyRenderSignature(secret, req.headers, req.method ?? 'GET', `${p}${url.search}`, body)
      ) {
        return sendJson(res, 401, {
          error: 'invalid_signature',
          message: 'request signature or key id is invalid',
        });
      }
      if (req.method === 'GET' && p === '/v1/pricing') {
        const gpu = url.searchParams.get('gpu') ?? '';
        return sendJson(res, 200, {
          gpu,
          pricePerHourUsd: this.price(gpu),
          availableNodes: this.nodes[gpu] ?? 0,
        });
      }
      if (req.method === 'GET' && p === '/v1/jobs') {
        const name = url.searchParams.get('name');
        return sendJson(res, 200, {
          jobs: [...this.jobs.values()].filter((j) => !name || j.name === name).map((j) => this.view(j)),
        });
      }
      if (req.method === 'POST' && p === '/v1/jobs') {
        const key = req.headers['idempotency-key'] as string | undefined;
        const prior = key ? [...this.jobs.values()].find((j) => j.idempotencyKey === key) : undefined;
        if (prior) return sendJson(res, 200, { job: this.view(prior) });
        // biome-ignore lint/suspicious/noExplicitAny: a request body from the wire, validated field by field below
        let b: Record<string, any>;
        try {
          b = JSON.parse(body);
        } catch {
          return sendJson(res, 400, { error: 'bad_request', message: 'body must be JSON' });
        }
        if (!b.name || !b.image || !b.gpu?.model || !b.replicas) {
          return sendJson(res, 422, {
            error: 'invalid',
            message: 'name, image, gpu.model and replicas are required',
          });
        }
        if ((this.nodes[b.gpu.model] ?? 0) < b.replicas) {
          return sendJson(res, 409, { error: 'no_capacity', message: `no free ${b.gpu.model} nodes` });
        }
        const cost = this.price(b.gpu.model) * b.gpu.count * b.replicas;
        if (cost > this.credits)
          return sendJson(res, 402, { error: 'insufficient_credits', message: `need ${cost} credits` });
        this.credits -= cost;
        this.nodes[b.gpu.model]! -= b.replicas;
        const job: Job = {
          id: `job_${randomUUID().slice(0, 12)}`,
          name: b.name,
          idempotencyKey: key,
          state: 'queued',
          gpu: b.gpu,
          runs: Array.from({ length: b.replicas }, (_, i) => {
            const nodeId = `node_${randomUUID().slice(0, 8)}`;
            return {
              id: `run_${i}`,
              nodeId,
              state: 'starting' as const,
              url: `${this.url}/nodes/${nodeId}`,
              started: Date.now(),
              logs: [
                `${new Date().toISOString()} assigned ${nodeId}`,
                `${new Date().toISOString()} pulling ${b.image}`,
              ],
            };
          }),
        };
        this.jobs.set(job.id, job);
        return sendJson(res, 201, { job: this.view(job) });
      }
      const jm = /^\/v1\/jobs\/([^/]+)(\/cancel|\/runs\/([^/]+)\/logs)?$/.exec(p);
      const job = jm ? this.jobs.get(jm[1]!) : undefined;
      if (jm && !job) return sendJson(res, 404, { error: 'not_found', message: 'job not found' });
      if (job && req.method === 'GET' && !jm![2]) return sendJson(res, 200, { job: this.view(job) });
      if (job && req.method === 'POST' && jm![2] === '/cancel') {
        for (const r of job.runs) {
          if (r.state !== 'cancelled') this.nodes[job.gpu.model] = (this.nodes[job.gpu.model] ?? 0) + 1;
          r.state = 'cancelled';
        }
        job.state = 'cancelled';
        return sendJson(res, 200, { job: this.view(job) });
      }
      if (job && req.method === 'GET' && jm![3]) {
        const run = job.runs.find((r) => r.id === jm![3]);
        if (!run) return sendJson(res, 404, { error: 'not_found', message: 'run not found' });
        const tail = url.searchParams.get('tail');
        return streamLog(
          res,
          run.logs,
          url.searchParams.get('follow') === '1',
          tail ? Number(tail) : undefined,
        );
      }
      return sendJson(res, 404, { error: 'not_found', message: `${req.method} ${p}` });
    });
    return this;
  }
  close() {
    return this.srv.close();
  }
}
