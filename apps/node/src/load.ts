/** Latency percentiles and throughput of a bounded run. */
export interface LoadReport {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly throughput: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly firstError?: string;
}

/**
 * Calls `request` from `concurrency` loops until `seconds` have passed (a bounded run that
 * stops by itself) and reports latencies. A request that throws counts as an error.
 */
export async function runLoad(
  request: () => Promise<void>,
  options: { readonly seconds: number; readonly concurrency: number },
): Promise<LoadReport> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      try {
        await request();
        latencies.push(performance.now() - t);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    requests: latencies.length + errors,
    errors,
    seconds,
    throughput: latencies.length / seconds,
    p50ms: at(0.5),
    p99ms: at(0.99),
    ...(firstError ? { firstError } : {}),
  };
}

/**
 * POSTs one inference per call, cycling through `inputs` (distinct requests, as real traffic
 * is), and fails unless the node answers 200 with a receipt.
 */
export function inferRequest(url: string, inputs: readonly (readonly number[])[]): () => Promise<void> {
  const bodies = inputs.map((input) => JSON.stringify({ inputs: [input] }));
  let next = 0;
  return async () => {
    const response = await fetch(`${url}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies[next++ % bodies.length],
    });
    const answer = (await response.json()) as { receipt?: unknown; error?: string };
    if (response.status !== 200 || !answer.receipt)
      throw new Error(`HTTP ${response.status}: ${answer.error}`);
  };
}
