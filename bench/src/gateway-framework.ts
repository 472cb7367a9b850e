import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type LoadReport, runLoad } from '@stoa/node';
import { printTable } from './measure.js';

const SERVER = fileURLToPath(new URL('./framework-server.ts', import.meta.url));
const BODY = JSON.stringify({ inputs: [Array.from({ length: 784 }, (_, i) => i % 256)] });

async function start(framework: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, framework], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).port as number));
    child.once('exit', (code) => reject(new Error(`${framework} server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function measure(framework: string, seconds: number, concurrency: number) {
  const { url, child } = await start(framework);
  try {
    const call = async () => {
      const response = await fetch(`${url}/v1/models/m/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk_x' },
        body: BODY,
      });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      await response.arrayBuffer();
    };
    await runLoad(call, { seconds: 2, concurrency }); // warm-up (JIT)
    return await runLoad(call, { seconds, concurrency });
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * Fastify vs Hono (node adapter) for the gateway: the same JSON route (784-number body, as an
 * MNIST request) served by a child process, loaded from this one, rounds alternated so that the
 * other engineers' load on the machine falls on both alike. Prints Hono/Fastify ratios.
 */
export async function gatewayFramework(): Promise<void> {
  const seconds = Number(process.env.STOA_BENCH_SECONDS ?? 4);
  const rounds = Number(process.env.STOA_BENCH_ROUNDS ?? 3);
  const concurrency = 16;
  const ratios: { throughput: number; p50: number }[] = [];
  const rows = [];
  for (let round = 0; round < rounds; round++) {
    const reports: Record<string, LoadReport> = {};
    for (const framework of round % 2 === 0 ? ['fastify', 'hono'] : ['hono', 'fastify']) {
      const report = await measure(framework, seconds, concurrency);
      if (report.errors > 0) throw new Error(`${framework}: ${report.errors} errors (${report.firstError})`);
      reports[framework] = report;
      rows.push({
        round,
        framework,
        'req/s': report.throughput.toFixed(0),
        'p50 ms': report.p50ms.toFixed(3),
        'p99 ms': report.p99ms.toFixed(3),
      });
    }
    ratios.push({
      throughput: reports.hono!.throughput / reports.fastify!.throughput,
      p50: reports.hono!.p50ms / reports.fastify!.p50ms,
    });
  }
  printTable(rows);
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `\nmedian of ${rounds} paired rounds, ${concurrency} concurrent clients: ` +
      `throughput hono/fastify = ${median(ratios.map((r) => r.throughput)).toFixed(3)}, ` +
      `p50 hono/fastify = ${median(ratios.map((r) => r.p50)).toFixed(3)}`,
  );
}
