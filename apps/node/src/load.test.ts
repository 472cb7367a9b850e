import { describe, expect, it } from 'vitest';
import { formatComparison, nodeLoadScenario } from './dev/load-scenario.js';

describe('the node under load on loopback', () => {
  // CI runs a short load (STOA_LOAD_SECONDS, default 4 s per path); BENCHMARKS.md records 30 s.
  const seconds = Number(process.env.STOA_LOAD_SECONDS ?? 4);
  const concurrency = Number(process.env.STOA_LOAD_CONCURRENCY ?? 4);
  it(
    `answers ${seconds} s of sustained requests from ${concurrency} clients with zero errors`,
    async () => {
      const result = await nodeLoadScenario({ seconds, concurrency, warmupSeconds: 1 });
      console.log(formatComparison(result));
      expect(result.node.errors, result.node.firstError).toBe(0);
      expect(result.node.requests).toBeGreaterThan(10 * seconds);
      expect(result.nodeOneInFlight.errors, result.nodeOneInFlight.firstError).toBe(0);
      expect(result.nodeSingle.errors, result.nodeSingle.firstError).toBe(0);
      expect(result.inProcess.errors, result.inProcess.firstError).toBe(0);
      expect(result.inProcessPipelined.errors, result.inProcessPipelined.firstError).toBe(0);
      expect(result.executor.errors, result.executor.firstError).toBe(0);
      // The main threads' share is read apart, and is a part of its process's CPU.
      const cpu = result.cpuMsPerRequest;
      expect(cpu.nodeMain).toBeGreaterThan(0);
      expect(cpu.nodeMain).toBeLessThanOrEqual(cpu.node);
      expect(cpu.inProcessMain).toBeGreaterThan(0);
      expect(cpu.inProcessMain).toBeLessThanOrEqual(cpu.inProcess);
    },
    180_000 + 6 * (seconds + 1) * 1000 * 2,
  );
});
