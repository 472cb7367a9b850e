import { randomUUID } from 'node:crypto';
import { delay, type RunningServer, sendJson, startServer, streamEvents } from '../testing/server.js';
import { startWorkload, type Workload, type WorkloadRunner } from '../testing/workload.js';

export interface IonetHardware {
  hardware_id: number;
  hardware_name: string;
  brand_name: string;
  max_gpus_per_container: number;
  /** Free replicas per location, by the location's iso2 code (see IONET_LOCATIONS). */
  available: Record<string, number>;
  /** USDC per GPU-hour. */
  price_per_gpu_hour: number;
}

export interface IonetEmulatorOptions {
  apiKey: string;
  /** Account balance in USDC. */
  balance?: number;
  hardware?: IonetHardware[];
  /** ms a container takes from `deploy` to `running` (when it runs no workload). */
  startupMs?: number;
  /**
   * Run each container's workload (the image's entrypoint with the deployment's environment)
   * as a local process, as io.net would: its public URL is the process's port, its status and
   * logs are the process's, and deleting the deployment stops it. Unset: containers only pretend.
   */
  runWorkloads?: WorkloadRunner;
}

interface Container {
  container_id: string;
  status: 'creating' | 'running' | 'terminated';
  public_url: string;
  started: number;
  logs: string[];
  errors: string[];
  /** The process running it (`runWorkloads`). */
  workload?: Workload;
}
interface EmuDeployment {
  id: string;
  name: string;
  status: 'deployment requested' | 'running' | 'destroyed';
  hardware_id: number;
  location_id: string;
  replica_count: number;
  registry_config: Record<string, string>;
  env: Record<string, string>;
  gpus_per_container: number;
  duration_hours: number;
  image: string;
  containers: Container[];
}

export const DEFAULT_IONET_HARDWARE: IonetHardware[] = [
  {
    hardware_id: 206,
    hardware_name: 'H100 80GB HBM3',
    brand_name: 'NVIDIA',
    max_gpus_per_container: 8,
    available: { US: 4, DE: 2 },
    price_per_gpu_hour: 2.19,
  },
  {
    hardware_id: 99,
    hardware_name: 'A100-SXM4-80GB',
    brand_name: 'NVIDIA',
    max_gpus_per_container: 8,
    available: { US: 2 },
    price_per_gpu_hour: 1.29,
  },
  {
    hardware_id: 27,
    hardware_name: 'RTX 4090',
    brand_name: 'NVIDIA',
    max_gpus_per_container: 8,
    available: { US: 8, DE: 8 },
    price_per_gpu_hour: 0.39,
  },
];

const PREFIX = '/enterprise/v1/io-cloud/caas';

/** Locations as io.net lists them: a numeric id, the country's iso2 code and its name. */
export const IONET_LOCATIONS: Record<string, { id: number; name: string }> = {
  US: { id: 1, name: 'United States' },
  DE: { id: 2, name: 'Germany' },
};

/** A FastAPI validation error: 422 with `detail` as an array of `{loc, msg, type}`. */
function unprocessable(res: Parameters<typeof sendJson>[0], loc: string[], msg: string) {
  return sendJson(res, 422, { detail: [{ loc, msg, type: 'value_error' }] });
}

/**
 * A local emulator of the io.net IO Cloud container API (CaaS v1): the endpoints the adapter
 * uses, with `x-api-key` auth, balance and capacity checks, delayed container start-up, and
 * per-container `/health` on each container's public URL.
 */
export class IonetEmulator {
  readonly deployments = new Map<string, EmuDeployment>();
  readonly requests: string[] = [];
  balance: number;
  hardware: IonetHardware[];
  private srv!: RunningServer;

  constructor(readonly opts: IonetEmulatorOptions) {
    this.balance = opts.balance ?? 1000;
    this.hardware = structuredClone(opts.hardware ?? DEFAULT_IONET_HARDWARE);
  }

  get url() {
    return this.srv.url;
  }

  /** Containers not terminated: what is running (and billing) right now. */
  activeContainers(): number {
    let n = 0;
    for (const d of this.deployments.values())
      n += d.containers.filter((c) => c.status !== 'terminated').length;
    return n;
  }

  async start(): Promise<this> {
    this.srv = await startServer(async (req, res, body, url) => {
      const p = url.pathname;
      this.requests.push(`${req.method} ${p}`);
      // container public URLs: /containers/{id}/health (no API key; it is the workload's port)
      const cm = /^\/containers\/([^/]+)\/health$/.exec(p);
      if (cm) {
        const c = [...this.deployments.values()]
          .flatMap((d) => d.containers)
          .find((x) => x.container_id === cm[1]);
        if (c?.status !== 'running') return sendJson(res, 502, { error: 'bad gateway' });
        return sendJson(res, 200, { state: 'ready' });
      }
      if (!p.startsWith(PREFIX)) return sendJson(res, 404, { detail: 'Not Found' });
      if (req.headers['x-api-key'] !== this.opts.apiKey)
        return sendJson(res, 401, { detail: 'Invalid API key' });
      await delay(5);
      const route = p.slice(PREFIX.length);
      this.tick();

      if (req.method === 'GET' && route === '/hardware/max-gpus-per-container') {
        return sendJson(res, 200, {
          data: {
            hardware: this.hardware.map((h) => ({
              hardware_id: h.hardware_id,
              hardware_name: h.hardware_name,
              brand_name: h.brand_name,
              max_gpus_per_container: h.max_gpus_per_container,
              available: Object.values(h.available).reduce((a, b) => a + b, 0),
            })),
          },
        });
      }
      if (req.method === 'GET' && route === '/available-replicas') {
        const h = this.hw(Number(url.searchParams.get('hardware_id')));
        if (!h) return sendJson(res, 400, { detail: 'unknown hardware_id' });
        return sendJson(res, 200, {
          data: Object.entries(h.available).map(([iso2, available_replicas]) => ({
            id: IONET_LOCATIONS[iso2]!.id,
            iso2,
            name: IONET_LOCATIONS[iso2]!.name,
            available_replicas,
          })),
        });
      }
      if (req.method === 'GET' && route === '/price') {
        const h = this.hw(Number(url.searchParams.get('hardware_id')));
        if (!h) return sendJson(res, 400, { detail: 'unknown hardware_id' });
        const gpus = Number(url.searchParams.get('gpus_per_container') ?? 1);
        const replicas = Number(url.searchParams.get('replica_count') ?? 1);
        const hours = Number(url.searchParams.get('duration_hours') ?? 1);
        // A single value holding a JSON array of ids, as io.net documents it.
        const raw = url.searchParams.getAll('location_ids');
        if (!raw.length) return unprocessable(res, ['query', 'location_ids'], 'Field required');
        let locations: number[];
        try {
          locations = JSON.parse(raw[0]!) as number[];
          if (raw.length !== 1 || !Array.isArray(locations) || !locations.every(Number.isInteger))
            throw new Error();
        } catch {
          return unprocessable(res, ['query', 'location_ids'], 'list of ids in a form of json array');
        }
        const isos = Object.entries(IONET_LOCATIONS)
          .filter(([, l]) => locations.includes(l.id))
          .map(([iso]) => iso);
        return sendJson(res, 200, {
          data: {
            replica_count: replicas,
            gpus_per_container: gpus,
            available_replica_count: isos.reduce((a, iso) => a + (h.available[iso] ?? 0), 0),
            total_cost_usdc: +(h.price_per_gpu_hour * gpus * replicas * hours).toFixed(4),
            currency: 'usdc',
          },
        });
      }
      if (req.method === 'POST' && route === '/deploy') return await this.deploy(res, body);
      if (req.method === 'GET' && route === '/deployments') {
        const status = url.searchParams.get('status');
        const list = [...this.deployments.values()].filter((d) => !status || d.status === status);
        const page = Number(url.searchParams.get('page') ?? 1);
        const size = Number(url.searchParams.get('page_size') ?? 10);
        return sendJson(res, 200, {
          data: {
            total: list.length,
            current_page: page,
            total_pages: Math.ceil(list.length / size),
            deployments: list.slice((page - 1) * size, page * size).map((d) => ({
              id: d.id,
              status: d.status,
              name: d.name,
              hardware_id: d.hardware_id,
            })),
          },
        });
      }
      const dm = /^\/deployment\/([^/]+)(\/containers|\/log\/([^/]+))?$/.exec(route);
      if (dm) {
        const d = this.deployments.get(dm[1]!);
        if (!d) return sendJson(res, 404, { detail: 'Deployment not found' });
        if (req.method === 'DELETE' && !dm[2]) {
          d.status = 'destroyed';
          for (const c of d.containers) {
            if (c.status !== 'terminated') this.hw(d.hardware_id)!.available[d.location_id]! += 1;
            c.status = 'terminated';
          }
          await Promise.all(d.containers.map((c) => c.workload?.stop()));
          return sendJson(res, 200, { status: 'success', deployment_id: d.id });
        }
        if (req.method === 'GET' && !dm[2]) {
          return sendJson(res, 200, {
            data: { id: d.id, status: d.status, name: d.name, replica_count: d.replica_count },
          });
        }
        if (req.method === 'GET' && dm[2] === '/containers') {
          return sendJson(res, 200, {
            data: {
              total: d.containers.length,
              workers: d.containers.map((c) => ({
                container_id: c.container_id,
                status: c.status,
                public_url: c.public_url,
                device_id: `dev-${c.container_id.slice(0, 8)}`,
              })),
            },
          });
        }
        if (req.method === 'GET' && dm[3]) {
          const c = d.containers.find((x) => x.container_id === dm[3]);
          if (!c) return sendJson(res, 404, { detail: 'Container not found' });
          const stream = url.searchParams.get('stream');
          if (stream !== 'stdout' && stream !== 'stderr')
            return unprocessable(res, ['query', 'stream'], "Input should be 'stdout' or 'stderr'");
          return streamEvents(
            res,
            stream === 'stdout' ? c.logs : c.errors,
            url.searchParams.get('follow') === 'true' && stream === 'stdout',
            numOrUndef(url.searchParams.get('tail')),
          );
        }
      }
      return sendJson(res, 404, { detail: 'Not Found' });
    });
    return this;
  }

  async close() {
    await Promise.all(this.workloads().map((w) => w.stop()));
    await this.srv?.close();
  }

  /** The processes of containers not yet stopped (`runWorkloads`). */
  workloads(): Workload[] {
    return [...this.deployments.values()]
      .flatMap((d) => d.containers)
      .flatMap((c) => (c.workload && c.workload.state() === 'running' ? [c.workload] : []));
  }

  private hw(id: number) {
    return this.hardware.find((h) => h.hardware_id === id);
  }

  private tick() {
    const now = Date.now();
    for (const d of this.deployments.values()) {
      for (const c of d.containers) {
        if (c.workload) {
          // A container whose process exited is over, as io.net reports a crashed one.
          if (c.workload.state() === 'exited') c.status = 'terminated';
          continue;
        }
        if (c.status === 'creating' && now - c.started >= (this.opts.startupMs ?? 100)) {
          c.status = 'running';
          c.logs.push(`${new Date().toISOString()} node listening on 0.0.0.0:8080`);
        }
      }
      if (d.status === 'deployment requested' && d.containers.every((c) => c.status === 'running'))
        d.status = 'running';
    }
  }

  private async deploy(res: Parameters<typeof sendJson>[0], body: string) {
    // biome-ignore lint/suspicious/noExplicitAny: a request body from the wire, validated field by field below
    let b: Record<string, any>;
    try {
      b = JSON.parse(body);
    } catch {
      return sendJson(res, 400, { detail: 'body must be JSON' });
    }
    const missing = [
      'resource_private_name',
      'duration_hours',
      'gpus_per_container',
      'hardware_id',
      'location_ids',
      'container_config',
      'registry_config',
    ].filter((k) => b[k] === undefined);
    if (missing.length)
      return sendJson(res, 422, {
        detail: missing.map((k) => ({ loc: ['body', k], msg: 'Field required', type: 'missing' })),
      });
    // biome-ignore lint/suspicious/noExplicitAny: a request body from the wire, validated field by field below
    const cc = b.container_config as Record<string, any>;
    const rc = b.registry_config as Record<string, string>;
    if (!rc.image_url) return unprocessable(res, ['body', 'registry_config', 'image_url'], 'Field required');
    if ('image_url' in cc)
      return unprocessable(res, ['body', 'container_config', 'image_url'], 'Extra inputs are not permitted');
    if (!cc.replica_count)
      return unprocessable(res, ['body', 'container_config', 'replica_count'], 'Field required');
    const h = this.hw(b.hardware_id);
    if (!h) return sendJson(res, 400, { detail: 'unknown hardware_id' });
    const wanted = (b.location_ids as number[]).map(
      (id) => Object.entries(IONET_LOCATIONS).find(([, l]) => l.id === id)?.[0],
    );
    const location = wanted.find((l) => l && (h.available[l] ?? 0) >= cc.replica_count);
    if (!location)
      return sendJson(res, 409, { detail: `not enough available replicas of ${h.hardware_name}` });
    const cost = h.price_per_gpu_hour * b.gpus_per_container * cc.replica_count * b.duration_hours;
    if (cost > this.balance) return sendJson(res, 402, { detail: `insufficient balance: need ${cost} USDC` });
    this.balance -= cost;
    h.available[location]! -= cc.replica_count;
    const id = randomUUID();
    const containers: Container[] = Array.from({ length: cc.replica_count }, () => {
      const cid = randomUUID();
      return {
        container_id: cid,
        status: 'creating' as const,
        public_url: `${this.url}/containers/${cid}`,
        started: Date.now(),
        logs: [
          `${new Date().toISOString()} pulling ${rc.image_url}`,
          `${new Date().toISOString()} env ${Object.keys(cc.env_variables ?? {}).join(',')}`,
        ],
        errors: [`${new Date().toISOString()} warning: no GPU telemetry yet`],
      };
    });
    if (this.opts.runWorkloads) await this.runWorkloads(this.opts.runWorkloads, containers, cc);
    this.deployments.set(id, {
      id,
      name: b.resource_private_name,
      status: 'deployment requested',
      hardware_id: h.hardware_id,
      location_id: location,
      replica_count: cc.replica_count,
      gpus_per_container: b.gpus_per_container,
      duration_hours: b.duration_hours,
      image: rc.image_url,
      registry_config: rc,
      env: cc.env_variables ?? {},
      containers,
    });
    return sendJson(res, 200, { status: 'success', deployment_id: id });
  }

  /** Starts each container's process; its public URL becomes the process's mapped port. */
  private async runWorkloads(
    runner: WorkloadRunner,
    containers: Container[],
    // biome-ignore lint/suspicious/noExplicitAny: the deploy body's container_config, checked in deploy
    config: Record<string, any>,
  ) {
    for (const c of containers) {
      c.workload = await startWorkload(runner, c.container_id, config.env_variables ?? {});
      c.public_url = c.workload.url;
      c.status = 'running';
      c.logs = c.workload.stdout;
      c.errors = c.workload.stderr;
    }
  }
}

function numOrUndef(s: string | null) {
  return s === null ? undefined : Number(s);
}
