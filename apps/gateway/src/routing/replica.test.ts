import { afterEach, describe, expect, it } from 'vitest';
import { pickReplica, ReplicaState } from './replica.js';

const made: ReplicaState[] = [];
function replica(id: string): ReplicaState {
  const r = new ReplicaState(id, id, 'http://127.0.0.1:1', 'dep');
  r.healthy = true;
  r.node = `0x${id.padStart(40, '0')}`;
  made.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((r) => r.close()));
});

/** Power of two choices over two replicas draws both: the lower score wins. */
const draws = () => {
  let i = 0;
  return () => [0, 0.99][i++ % 2]!;
};

describe('replica routing', () => {
  it('prefers the replica with less expected wait: latency times requests outstanding plus one', () => {
    const [fast, slow] = [replica('fast'), replica('slow')];
    const t = performance.now();
    fast.begin();
    fast.succeeded(2, t);
    slow.begin();
    slow.succeeded(20, t);
    expect(pickReplica([fast, slow], new Set(), draws(), t)).toBe(fast);
    for (let i = 0; i < 5; i++) fast.begin(); // 6 × fast's estimate outweighs slow's
    expect(fast.score(t)).toBeGreaterThan(slow.score(t));
    expect(pickReplica([fast, slow], new Set(), draws(), t)).toBe(slow);
    expect(pickReplica([fast, slow], new Set([slow]), draws(), t)).toBe(fast);
  });

  it('tries again, within a minute, a replica that answered slowly once while its peer kept answering', () => {
    const [steady, hiccup] = [replica('steady'), replica('hiccup')];
    const t0 = performance.now();
    hiccup.begin();
    hiccup.succeeded(500, t0); // a cold start: its estimate jumps from 5 to 104 ms
    let chosenAt: number | undefined;
    for (let s = 0; s <= 60 && chosenAt === undefined; s++) {
      const now = t0 + s * 1_000;
      const picked = pickReplica([steady, hiccup], new Set(), draws(), now)!;
      picked.begin();
      picked.succeeded(5, now); // every answer now takes 5 ms
      if (picked === hiccup) chosenAt = s;
    }
    // Faded by e^(-s/10 s) with no answer to refresh it, 104 ms falls under the steady peer's ~4 ms after ~34 s.
    expect(chosenAt).toBeGreaterThanOrEqual(25);
    expect(chosenAt).toBeLessThanOrEqual(40);
    expect(hiccup.latency(t0 + 45_000)).toBeLessThan(steady.latency(t0 + 45_000) * 2);
  });
});
