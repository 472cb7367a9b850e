import { posix } from 'node:path';
import { nodeAuthorizer } from '../core/authorize.js';
import { pollUntil } from '../core/backoff.js';
import { defineAdapter, type NetworkAdapter } from '../core/define-adapter.js';
import { TransientError, UserError } from '../core/errors.js';
import { childLines } from '../core/lines.js';
import { type NodeHealth, nodeEnvironment } from '../core/node-env.js';
import {
  DEFAULT_NODE_COMMAND,
  type DeploymentRecord,
  type HealthState,
  type LogLine,
  type NodeSpec,
  type ReplicaStatus,
  statusOfReplicas,
} from '../core/types.js';
import { LocalHost, type ProcessHost, SshHost, type SshHostConfig, sq } from './hosts.js';
import { aliveCheck, launchScript } from './process-scripts.js';

export interface SelfHostedConfig {
  /** Where to run: this machine (default) or an SSH host. */
  host?: { kind: 'local' } | ({ kind: 'ssh' } & SshHostConfig);
  /** Directory on the host for per-deployment data and logs. */
  baseDir?: string;
  /** Default node command when the spec names none: `node --import tsx apps/node/src/main.ts`. */
  command?: string[];
  /** Working directory for the command (default: the spec's `cwd`, else the process's cwd). */
  cwd?: string;
  /** Extra environment for every node (added under the spec's own `env`). */
  env?: Record<string, string>;
  /** The `node` binary on the host, used for free-port and health probes. Default `node`. */
  nodeBinary?: string;
  healthTimeoutMs?: number;
  /** Name of this adapter instance (default `self-hosted`). */
  name?: string;
  /**
   * When a node reports that it awaits its operator's authorization and the spec names the
   * operator key on this machine (`operatorKeyRef`), authorize it from here (default: on).
   * The key signs here only; the node never receives it.
   */
  authorizeNodes?: boolean;
  /** Money sent to each node's own address when authorizing it (default: see `authorizeNode`). */
  nodeGasWei?: bigint;
}

interface Replica {
  id: string;
  dir: string;
  port: number;
  pid?: number;
}

export function selfHostedAdapter(config: SelfHostedConfig = {}): NetworkAdapter {
  const name = config.name ?? 'self-hosted';
  const host: ProcessHost = config.host?.kind === 'ssh' ? new SshHost(config.host) : new LocalHost();
  const baseDir =
    config.baseDir ?? (config.host?.kind === 'ssh' ? '.stoa/deployments' : '/tmp/stoa-self-hosted');
  const nodeBin = config.nodeBinary ?? 'node';
  const healthTimeoutMs = config.healthTimeoutMs ?? 30_000;

  const replicasOf = (rec: DeploymentRecord): Replica[] => (rec.data.replicas as Replica[] | undefined) ?? [];

  async function sh(script: string): Promise<string> {
    const r = await host.exec(script);
    if (r.code !== 0) {
      throw new TransientError(
        'server-error',
        `${host.label}: command failed (${r.code}): ${r.stderr.trim()}`,
        {
          adapter: name,
        },
      );
    }
    return r.stdout;
  }

  /** The host's command that prints the node's /health answer (an empty line when none). */
  const healthCommand = (port: number) =>
    `${sq(nodeBin)} -e ${sq(`fetch('http://127.0.0.1:${port}/health',{signal:AbortSignal.timeout(2000)}).then(r=>r.text()).then(t=>console.log(t),()=>console.log(''))`)}`;
  const parseHealth = (out: string): NodeHealth | undefined => {
    try {
      return out ? (JSON.parse(out) as NodeHealth) : undefined;
    } catch {
      return undefined;
    }
  };

  async function probeHealth(port: number): Promise<NodeHealth | undefined> {
    if (host instanceof LocalHost) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
        return (await r.json()) as NodeHealth;
      } catch {
        return undefined;
      }
    }
    return parseHealth((await host.exec(healthCommand(port))).stdout.trim());
  }

  /**
   * A starting replica's health and, on a remote host, whether its process is gone, in one
   * command there (each command is a channel and a shell on the host). Locally `dead` is left
   * for the caller to check.
   */
  async function probeStarting(r: Replica, id: string): Promise<{ health?: NodeHealth; dead?: boolean }> {
    if (host instanceof LocalHost || !r.pid) return { health: await probeHealth(r.port) };
    const out = (
      await host.exec(
        `${healthCommand(r.port)}; if ${aliveCheck(r.pid, id)}; then echo alive; else echo dead; fi`,
      )
    ).stdout
      .trim()
      .split('\n');
    const alive = out.pop();
    return { health: parseHealth(out.join('\n').trim()), dead: alive !== 'alive' };
  }

  /** A port free on the host now (it may be taken again before the node binds it: see launch). */
  async function freePortOnHost(): Promise<number> {
    const portJs =
      "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})";
    return Number((await sh(`${sq(nodeBin)} -e ${sq(portJs)}`)).trim());
  }

  /** Starts replica `r` in its own session with the node's environment; returns its pid. */
  async function launch(spec: NodeSpec, id: string, r: Replica): Promise<number> {
    const command = spec.command ?? config.command ?? [...DEFAULT_NODE_COMMAND];
    const cwd = spec.cwd ?? config.cwd ?? process.cwd();
    const env = nodeEnvironment(spec, {
      listen: `127.0.0.1:${r.port}`,
      dataDir: r.dir,
      adapter: name,
      ...(config.env ? { extra: config.env } : {}),
    });
    const out = await sh(
      launchScript({
        cwd,
        command,
        env,
        deploymentId: id,
        envFile: posix.join(r.dir, '.node.env'),
        logFile: posix.join(r.dir, 'node.log'),
        pidFile: posix.join(r.dir, 'pid'),
      }),
    );
    return Number(out.trim());
  }

  const authorizeIfAwaiting = nodeAuthorizer({
    enabled: config.authorizeNodes,
    ...(config.nodeGasWei !== undefined ? { gasWei: config.nodeGasWei } : {}),
  });

  async function logTail(r: Replica, n: number): Promise<string> {
    return (await host.exec(`tail -n ${n} ${sq(posix.join(r.dir, 'node.log'))} 2>/dev/null`)).stdout.trim();
  }

  async function stop(r: Replica, id: string): Promise<void> {
    if (!r.pid) return;
    // The node runs in its own session (setsid), so its pid is its process group: signal the group.
    await host.exec(
      `if ${aliveCheck(r.pid, id)}; then kill -TERM -${r.pid} 2>/dev/null || kill -TERM ${r.pid}; ` +
        `i=0; while kill -0 ${r.pid} 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; ` +
        `kill -KILL -${r.pid} 2>/dev/null; fi; true`,
    );
  }

  return defineAdapter({
    name,
    capabilities: { gpu: ['*'], multiReplica: true, logStreaming: true, kubernetesManifests: true },
    validate: (spec) =>
      spec.command?.length === 0 ? [{ path: 'command', message: 'the node command must not be empty' }] : [],
    async quote(spec: NodeSpec) {
      return [
        {
          adapter: name,
          pricePerHourUsd: 0,
          gpu: spec.gpu?.kind ?? 'cpu',
          gpuCount: spec.gpu?.count ?? 0,
          provider: host.label,
        },
      ];
    },
    steps: [
      {
        name: 'prepare',
        async run({ spec, record }) {
          const replicas: Replica[] = [];
          for (let i = 0; i < spec.replicas; i++) {
            const dir = posix.join(baseDir, record.id, `r${i}`);
            await sh(`mkdir -p ${sq(dir)}`);
            replicas.push({ id: `r${i}`, dir, port: await freePortOnHost() });
          }
          return { replicas, host: host.label };
        },
      },
      {
        name: 'start',
        async run({ spec, record, save }) {
          const replicas = replicasOf(record).map((r) => ({ ...r }));
          for (const r of replicas) {
            const pidFile = posix.join(r.dir, 'pid');
            // Resume: a previous run may have started this replica before it could record the pid.
            const existing = (
              await host.exec(
                `p=$(cat ${sq(pidFile)} 2>/dev/null) && ${aliveCheck('"$p"', record.id)} && echo "$p"`,
              )
            ).stdout.trim();
            if (existing) {
              r.pid = Number(existing);
              continue;
            }
            r.pid = await launch(spec, record.id, r);
            await save({ replicas }); // persist each pid at once
          }
          return { replicas };
        },
      },
      {
        name: 'wait-healthy',
        async run({ spec, record, save }) {
          const replicas = replicasOf(record).map((r) => ({ ...r }));
          for (const r of replicas) {
            let portRetries = 3;
            const ok = await pollUntil(
              async () => {
                const { health: h, dead: gone } = await probeStarting(r, record.id);
                if (h?.state === 'ready' || h?.state === 'busy') return true;
                await authorizeIfAwaiting(spec, h);
                const dead = gone ?? (r.pid && (await host.exec(aliveCheck(r.pid, record.id))).code !== 0);
                // The port was free when chosen, but another process (a client's ephemeral port,
                // say) took it before the node bound it: start the replica again on a new one.
                if (dead && portRetries > 0 && /EADDRINUSE/.test(await logTail(r, 40))) {
                  portRetries--;
                  r.port = await freePortOnHost();
                  r.pid = await launch(spec, record.id, r);
                  await save({ replicas });
                  return undefined;
                }
                if (h?.state === 'failed' || dead) {
                  throw new UserError(
                    'invalid-spec',
                    `node ${r.id} on ${host.label} failed to start: ${await logTail(r, 5)}`,
                    {
                      adapter: name,
                      fields: ['command'],
                      hint: 'check the node command, its cwd and the environment',
                    },
                  );
                }
                return undefined;
              },
              { timeoutMs: healthTimeoutMs, intervalMs: 100 },
            );
            if (!ok) {
              throw new TransientError(
                'timeout',
                `node ${r.id} on ${host.label} not ready after ${healthTimeoutMs} ms`,
                {
                  adapter: name,
                },
              );
            }
          }
          return { replicas, endpoints: replicas.map((r) => `http://${host.endpointHost}:${r.port}`) };
        },
      },
    ],
    async status(record) {
      const replicas: ReplicaStatus[] = [];
      for (const r of replicasOf(record)) {
        const h = await probeHealth(r.port);
        const health: HealthState = h?.state ?? 'unreachable';
        replicas.push({ id: r.id, endpoint: `http://${host.endpointHost}:${r.port}`, health });
      }
      return statusOfReplicas(record, replicas);
    },
    async *logs(record, opts): AsyncGenerator<LogLine> {
      const replicas = replicasOf(record);
      if (!replicas.length) return;
      const files = replicas.map((r) => sq(posix.join(r.dir, 'node.log'))).join(' ');
      const tail = opts.tail === undefined ? '+1' : String(opts.tail);
      const script = `tail -v -n ${tail} ${opts.follow ? '-F' : ''} ${files} 2>/dev/null`;
      let current = replicas[0]!.id;
      for await (const line of childLines(host.stream(script), opts.signal)) {
        const header = /^==> (.*)\/node\.log <==$/.exec(line);
        if (header) {
          current = replicas.find((r) => r.dir === header[1] || sq(r.dir) === header[1])?.id ?? current;
          continue;
        }
        if (line === '') continue;
        yield { replica: current, stream: 'stdout', line };
      }
    },
    async teardown(record) {
      for (const r of replicasOf(record)) await stop(r, record.id);
      // Also stop replicas started by a crashed run that never recorded their pid.
      await host.exec(
        `for f in ${sq(posix.join(baseDir, record.id))}/*/pid; do [ -f "$f" ] || continue; p=$(cat "$f"); ` +
          `if ${aliveCheck('"$p"', record.id)}; then kill -KILL -"$p" 2>/dev/null || kill -KILL "$p"; fi; done; ` +
          `rm -rf ${sq(posix.join(baseDir, record.id))}`,
      );
    },
  });
}
