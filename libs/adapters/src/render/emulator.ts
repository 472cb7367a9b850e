import { randomUUID } from 'node:crypto';
import { type RunningServer, sendJson, startServer, streamLog } from '../testing/server.js';
import { startWorkload, type Workload, type WorkloadRunner } from '../testing/workload.js';
import { verifyRenderRequest } from './signing.js';

export interface RenderEmulatorOptions {
  /** Public key → secret key. */
  keys: Record<string, string>;
  /** Account credits in USD. */
  credits?: number;
  /** Free nodes per Render `gpu_name`. */
  nodes?: Record<string, number>;
  /** USD per GPU-hour per `gpu_name`, charged for the first hour when a job is created. */
  pricePerHour?: Record<string, number>;
  startupMs?: number;
  /**
   * Run each job's docker task (the image's entrypoint with the job's `env`) as a local process,
   * as a Render node would: the run's node URL is the process's port, its status and logs are
   * the process's, and cancelling the job stops it. Unset: jobs only pretend.
   */
  runWorkloads?: WorkloadRunner;
}

type Status = 'PENDING' | 'ASSIGNED' | 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
interface Job {
  uuid: string;
  title: string;
  status: Status;
  gpuName: string;
  gpuCount: number;
  created: number;
  run: { uuid: string; nodeId: string; logs: string[] };
  /** The process running its task (`runWorkloads`). */
  workload?: Workload;
  // biome-ignore lint/suspicious/noExplicitAny: the docker parameters as the client sent them
  parameters: Record<string, any>;
}

const STATUSES_LIVE: Status[] = ['PENDING', 'ASSIGNED', 'RUNNING'];

/**
 * A local emulator of Render's compute API (OTOY "Dispersed") as documented in the issue-17 review:
 * HMAC-signed requests (`X-API-Key`, `X-Time` ms, `X-Nonce` once only, `X-Signature`), `POST
 * /v1/jobs` with a PERSISTENT docker task, jobs `{object: 'job', uuid, status}`, `GET
 * /v1/job-runs?filter[job_uuid]=` with `node_urls`, `PUT /v1/jobs/{uuid}/cancel`; credits and
 * node capacity. Job-run logs (`/v1/job-runs/{uuid}/logs`) are an unconfirmed endpoint.
 */
export class RenderEmulator {
  readonly jobs = new Map<string, Job>();
  /** Why each refused request was refused (`replayed`, `stale`, `bad-signature`, ...). */
  readonly refusals: string[] = [];
  credits: number;
  nodes: Record<string, number>;
  private readonly seen = new Map<string, number>();
  private srv!: RunningServer;
  constructor(readonly opts: RenderEmulatorOptions) {
    this.credits = opts.credits ?? 1000;
    this.nodes = { ...(opts.nodes ?? { 'RTX 4090': 6, A100: 0 }) };
  }
  get url() {
    return this.srv.url;
  }
  /** Jobs holding a node now (pending, assigned or running). */
  activeRuns() {
    return [...this.jobs.values()].filter((j) => STATUSES_LIVE.includes(j.status)).length;
  }
  private price(gpu: string) {
    return (this.opts.pricePerHour ?? { 'RTX 4090': 0.45, A100: 1.6 })[gpu] ?? 1;
  }
  /** The processes of jobs not yet cancelled (`runWorkloads`). */
  workloads(): Workload[] {
    return [...this.jobs.values()].flatMap((j) =>
      j.workload && j.workload.state() === 'running' ? [j.workload] : [],
    );
  }
  private advance(j: Job) {
    if (j.workload) {
      // A node whose process exited fails its job, as Render reports a crashed container.
      if (j.workload.state() === 'exited' && STATUSES_LIVE.includes(j.status)) {
        j.status = 'FAILED';
        this.nodes[j.gpuName] = (this.nodes[j.gpuName] ?? 0) + 1;
      }
      return;
    }
    const age = Date.now() - j.created;
    const startup = this.opts.startupMs ?? 80;
    if (j.status === 'PENDING' && age > startup / 2) j.status = 'ASSIGNED';
    if (j.status === 'ASSIGNED' && age > startup) {
      j.status = 'RUNNING';
      j.run.logs.push(`${new Date().toISOString()} node ready`);
    }
  }
  private view(j: Job) {
    this.advance(j);
    return {
      object: 'job',
      uuid: j.uuid,
      title: j.title,
      status: j.status,
      gpu_name: j.gpuName,
      gpu_count: j.gpuCount,
    };
  }
  private runView(j: Job) {
    this.advance(j);
    const live = j.status === 'RUNNING';
    return {
      object: 'job_run',
      uuid: j.run.uuid,
      job_uuid: j.uuid,
      status: j.status,
      node_urls: live ? [j.workload?.url ?? `${this.url}/nodes/${j.run.nodeId}`] : [],
    };
  }

  async start(): Promise<this> {
    this.srv = await startServer(async (req, res, body, url) => {
      const p = url.pathname;
      const nm = /^\/nodes\/([^/]+)\/health$/.exec(p);
      if (nm) {
        const job = [...this.jobs.values()].find((j) => j.run.nodeId === nm[1]);
        return job?.status === 'RUNNING'
          ? sendJson(res, 200, { state: 'ready' })
          : sendJson(res, 502, { error: 'no such node' });
      }
      const secret = this.opts.keys[String(req.headers['x-api-key'] ?? '')];
      const verdict = secret
        ? verifyRenderRequest({
            secret,
            headers: req.headers,
            method: req.method ?? 'GET',
            pathAndQuery: `${p}${url.search}`,
            body,
            seen: this.seen,
          })
        : 'bad-signature';
      if (verdict !== 'ok') {
        this.refusals.push(verdict);
        return sendJson(res, 401, {
          error: verdict,
          message: 'request signature, time, nonce or key is invalid',
        });
      }
      if (req.method === 'GET' && p === '/v1/jobs') {
        const title = url.searchParams.get('filter[title]');
        const data = [...this.jobs.values()]
          .filter((j) => !title || j.title === title)
          .map((j) => this.view(j));
        return sendJson(res, 200, { object: 'list', data });
      }
      if (req.method === 'POST' && p === '/v1/jobs') return this.create(res, body);
      if (req.method === 'GET' && p === '/v1/job-runs') {
        const job = this.jobs.get(url.searchParams.get('filter[job_uuid]') ?? '');
        return sendJson(res, 200, { object: 'list', data: job ? [this.runView(job)] : [] });
      }
      const lm = /^\/v1\/job-runs\/([^/]+)\/logs$/.exec(p);
      if (lm && req.method === 'GET') {
        const job = [...this.jobs.values()].find((j) => j.run.uuid === lm[1]);
        if (!job) return sendJson(res, 404, { error: 'not_found', message: 'job run not found' });
        const tail = url.searchParams.get('tail');
        return streamLog(
          res,
          job.run.logs,
          url.searchParams.get('follow') === 'true',
          tail ? Number(tail) : undefined,
        );
      }
      const jm = /^\/v1\/jobs\/([^/]+)(\/cancel)?$/.exec(p);
      const job = jm ? this.jobs.get(jm[1]!) : undefined;
      if (jm && !job) return sendJson(res, 404, { error: 'not_found', message: 'job not found' });
      if (job && req.method === 'GET' && !jm![2]) return sendJson(res, 200, this.view(job));
      if (job && req.method === 'PUT' && jm![2]) {
        this.advance(job);
        if (STATUSES_LIVE.includes(job.status)) this.nodes[job.gpuName] = (this.nodes[job.gpuName] ?? 0) + 1;
        if (job.status !== 'COMPLETED' && job.status !== 'FAILED') job.status = 'CANCELLED';
        await job.workload?.stop();
        return sendJson(res, 200, this.view(job));
      }
      return sendJson(res, 404, { error: 'not_found', message: `${req.method} ${p}` });
    });
    return this;
  }

  private async create(res: Parameters<typeof sendJson>[0], body: string) {
    // biome-ignore lint/suspicious/noExplicitAny: a request body from the wire, validated field by field below
    let b: Record<string, any>;
    try {
      b = JSON.parse(body);
    } catch {
      return sendJson(res, 400, { error: 'bad_request', message: 'body must be JSON' });
    }
    const missing = ['task', 'title', 'gpu_count', 'gpu_name', 'parameters'].filter(
      (k) => b[k] === undefined,
    );
    if (missing.length)
      return sendJson(res, 422, { error: 'invalid', message: `missing: ${missing.join(', ')}` });
    if (b.task !== 'PERSISTENT')
      return sendJson(res, 422, { error: 'invalid', message: 'task must be PERSISTENT here' });
    const docker = b.parameters?.type === 'docker' ? b.parameters.parameters : undefined;
    if (!docker?.image || !docker.tag)
      return sendJson(res, 422, {
        error: 'invalid',
        message: 'parameters must be {type: docker, parameters: {image, tag, ...}}',
      });
    if ((this.nodes[b.gpu_name] ?? 0) < 1)
      return sendJson(res, 409, { error: 'no_capacity', message: `no free ${b.gpu_name} nodes` });
    const cost = this.price(b.gpu_name) * b.gpu_count;
    if (cost > this.credits)
      return sendJson(res, 402, { error: 'insufficient_credits', message: `need ${cost} USD` });
    this.credits -= cost;
    this.nodes[b.gpu_name]! -= 1;
    const nodeId = `node_${randomUUID().slice(0, 8)}`;
    const job: Job = {
      uuid: randomUUID(),
      title: b.title,
      status: 'PENDING',
      gpuName: b.gpu_name,
      gpuCount: b.gpu_count,
      created: Date.now(),
      parameters: docker,
      run: {
        uuid: randomUUID(),
        nodeId,
        logs: [
          `${new Date().toISOString()} assigned ${nodeId}`,
          `${new Date().toISOString()} pulling ${docker.image}:${docker.tag}`,
        ],
      },
    };
    if (this.opts.runWorkloads) {
      job.workload = await startWorkload(this.opts.runWorkloads, job.run.uuid, stringValues(docker.env));
      job.status = 'RUNNING';
      job.run.logs = job.workload.stdout;
    }
    this.jobs.set(job.uuid, job);
    return sendJson(res, 201, this.view(job));
  }

  async close() {
    await Promise.all(this.workloads().map((w) => w.stop()));
    await this.srv.close();
  }
}

/** A job's `env` as sent: only string values reach a container's environment. */
function stringValues(env: unknown): Record<string, string> {
  if (typeof env !== 'object' || env === null) return {};
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
