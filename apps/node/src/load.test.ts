import { describe, expect, it } from 'vitest';
import { formatComparison, nodeLoadScenario } from './dev/load-scenario.js';

describe('the node under load on loopback', () => {
  it('answers 30 s of sustained requests with zero errors', async () => {
    const result = await nodeLoadScenario({ seconds: 30, concurrency: 4 });
    console.log(formatComparison(result));
    expect(result.node.errors, result.node.firstError).toBe(0);
    expect(result.node.requests).toBeGreaterThan(100);
    expect(result.inProcess.errors).toBe(0);
  }, 180_000);
});
