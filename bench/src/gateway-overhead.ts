import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { DEV_KEYS, spawnGateway, startStack, TEST_MODEL_NAME } from '@stoa/gateway';
import { GATEWAY_CREDENTIAL_HEADER, type LoadReport, runLoad } from '@stoa/node';
import { gatewayCredential, hashKey, keySecret, startTestPostgres } from '@stoa/sdk';
import { printTable } from './measure.js';

const KEYS = 10_000;

/**
 * The gateway's cost (issue 12, must show 1): the same MNIST requests, same concurrency, sent
 * straight to a node (with the deployment's credential) and through a gateway process in front
 * of it, rounds alternated; 10,000 API keys in the database and requests spread over 1,000 of
 * them. Once on SQLite, once on PostgreSQL. Prints added p50 and the throughput ratio.
 */
export async function gatewayOverhead(): Promise<void> {
  const seconds = Number(process.env.STOA_BENCH_SECONDS ?? 8);
  const rounds = Number(process.env.STOA_BENCH_ROUNDS ?? 3);
  const concurrency = Number(process.env.STOA_BENCH_CONCURRENCY ?? 4);
  const { model } = importMnistModel('cnn');
  const images = loadMnist('test').images;
  const bodies = Array.from({ length: 50 }, (_, i) =>
    JSON.stringify({ inputs: [Array.from(images.subarray(784 * i, 784 * (i + 1)))] }),
  );
  const postgres = await startTestPostgres();
  const rows: Record<string, string>[] = [];
  try {
    for (const database of ['sqlite', 'postgresql'] as const) {
      const stack = await startStack(
        model,
        [{ network: 'akash', key: DEV_KEYS.nodeA, env: { STOA_BACKEND: 'onnxruntime' } }],
        {
          ...(database === 'postgresql' ? { dbUrl: postgres.createDatabase('stoa_bench') } : {}),
        },
      );
      const profileDir = process.env.STOA_BENCH_CPU_PROF;
      const gateway = await spawnGateway(
        stack.gatewayEnv(join(stack.stoaDir, 'bench-spool')),
        profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
      );
      try {
        const keys = await insertKeys(stack.db, stack.stoaDir, stack.projectId);
        const credential = gatewayCredential(stack.gatewaySecret, stack.deploymentId);
        let next = 0;
        const post = async (url: string, headers: Record<string, string>) => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: bodies[next++ % bodies.length],
          });
          if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
          await response.arrayBuffer();
        };
        const direct = () =>
          post(`${stack.nodes[0]!.url}/v1/models/${stack.deployment.modelId}/infer`, {
            [GATEWAY_CREDENTIAL_HEADER]: credential,
          });
        const through = () =>
          post(`${gateway.url}/v1/models/${TEST_MODEL_NAME}/infer`, {
            authorization: `Bearer ${keys[next % 1000]}`,
          });
        // Warm both paths, and every one of the 1,000 keys in use: a gateway's steady state has
        // its active keys cached (KeyCache), and first sights are not what this bench measures.
        for (let i = 0; i < 1000; i += concurrency)
          await Promise.all(Array.from({ length: concurrency }, () => through()));
        await runLoad(through, { seconds: 2, concurrency });
        await runLoad(direct, { seconds: 2, concurrency });
        const reports: { direct: LoadReport[]; gateway: LoadReport[] } = { direct: [], gateway: [] };
        const cpu = { node: { direct: 0, gateway: 0 }, gateway: 0, requests: { direct: 0, gateway: 0 } };
        for (let round = 0; round < rounds; round++) {
          for (const path of round % 2 === 0
            ? (['direct', 'gateway'] as const)
            : (['gateway', 'direct'] as const)) {
            const nodeBefore = cpuMs(stack.nodes[0]!.process.pid);
            const gatewayBefore = cpuMs(gateway.process.pid);
            const report = await runLoad(path === 'direct' ? direct : through, { seconds, concurrency });
            if (report.errors > 0) throw new Error(`${path}: ${report.errors} errors (${report.firstError})`);
            reports[path].push(report);
            cpu.node[path] += cpuMs(stack.nodes[0]!.process.pid) - nodeBefore;
            if (path === 'gateway') cpu.gateway += cpuMs(gateway.process.pid) - gatewayBefore;
            cpu.requests[path] += report.requests;
          }
        }
        const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        const p50 = (path: 'direct' | 'gateway') => median(reports[path].map((r) => r.p50ms));
        const rate = (path: 'direct' | 'gateway') => median(reports[path].map((r) => r.throughput));
        rows.push({
          database,
          keys: String(KEYS),
          'direct p50 ms': p50('direct').toFixed(2),
          'gateway p50 ms': p50('gateway').toFixed(2),
          'added p50 ms': (p50('gateway') - p50('direct')).toFixed(2),
          'throughput gateway/direct': (rate('gateway') / rate('direct')).toFixed(3),
          'node CPU ms/req': (cpu.node.direct / cpu.requests.direct).toFixed(2),
          'gateway CPU ms/req': (cpu.gateway / cpu.requests.gateway).toFixed(2),
        });
      } finally {
        await gateway.stop();
        await stack.stop();
      }
    }
  } finally {
    postgres.stop();
  }
  console.log(
    `MNIST CNN (onnxruntime node), ${concurrency} concurrent clients, ${rounds} alternated rounds of ${seconds} s, medians; load average at the end ${loadavg()[0]!.toFixed(1)} (2 cores: above ~3 the ratios measure the queue):\n`,
  );
  printTable(rows);
  console.log('');
  for (const row of rows) {
    const added = Number(row['added p50 ms']);
    const ratio = Number(row['throughput gateway/direct']);
    console.log(
      `${row.database}: added p50 ${added.toFixed(2)} ms (bar ≤ 1 ms: ${added <= 1 ? 'met' : 'NOT met'}), ` +
        `throughput ${ratio.toFixed(3)}× direct (bar ≥ 0.9×: ${ratio >= 0.9 ? 'met' : 'NOT met'}); ` +
        `the gateway spends ${row['gateway CPU ms/req']} ms of CPU per request, the node ${row['node CPU ms/req']} ms`,
    );
  }
}

/** User + system CPU time of a process so far, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function insertKeys(
  db: Awaited<ReturnType<typeof startStack>>['db'],
  stoaDir: string,
  projectId: string,
): Promise<string[]> {
  const secret = keySecret(stoaDir);
  const keys = Array.from({ length: KEYS }, () => `sk_${randomBytes(32).toString('base64url')}`);
  for (let i = 0; i < keys.length; i += 1000) {
    await db.apiKey.createMany({
      data: keys.slice(i, i + 1000).map((key, j) => ({
        projectId,
        name: `bench-${i + j}`,
        prefix: key.slice(0, 12),
        hash: hashKey(secret, key),
      })),
    });
  }
  return keys;
}
