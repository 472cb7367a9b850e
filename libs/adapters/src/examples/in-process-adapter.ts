import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineAdapter, type NetworkAdapter, TransientError } from '../index.js';

/** A toy "network" that runs each replica as an HTTP server inside this process. */
export function inProcessAdapter(): NetworkAdapter & { running: Map<string, Server> } {
  const running = new Map<string, Server>(); // key: `${deploymentId}/${replica}`
  const adapter = defineAdapter({
    name: 'in-process',
    capabilities: { gpu: ['cpu'], multiReplica: true, logStreaming: true },
    async quote(spec) {
      return [
        { adapter: 'in-process', pricePerHourUsd: 0, gpu: 'cpu', gpuCount: 0, available: 8 - spec.replicas },
      ];
    },
    steps: [
      {
        name: 'start-servers',
        // Idempotent: a replica already running (from a crashed earlier attempt) is reused.
        async run({ spec, record }) {
          const endpoints: string[] = [];
          for (let i = 0; i < spec.replicas; i++) {
            const key = `${record.id}/r${i}`;
            let server = running.get(key);
            if (!server) {
              server = createServer((_req, res) => res.end(JSON.stringify({ state: 'ready' })));
              await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
              running.set(key, server);
            }
            endpoints.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
          }
          return { endpoints };
        },
      },
      {
        name: 'check-health',
        async run({ data }) {
          for (const e of data.endpoints as string[]) {
            const res = await fetch(`${e}/health`).catch(() => undefined);
            if (!res?.ok) throw new TransientError('network', `${e} does not answer`);
          }
          return undefined;
        },
      },
    ],
    async status(record) {
      const endpoints = (record.data.endpoints as string[] | undefined) ?? [];
      return {
        state: 'running',
        endpoints,
        replicas: endpoints.map((endpoint, i) => ({ id: `r${i}`, endpoint, health: 'ready' as const })),
      };
    },
    async *logs(record, opts) {
      let n = 0;
      while (!opts.signal?.aborted) {
        yield { stream: 'stdout' as const, line: `${record.id}: heartbeat ${++n}` };
        if (!opts.follow) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async teardown(record) {
      for (const [key, server] of running) {
        if (!key.startsWith(`${record.id}/`)) continue;
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        running.delete(key);
      }
    },
  });
  return Object.assign(adapter, { running });
}
