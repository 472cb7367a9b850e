import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type UsageEvent, UsageSpool } from './spool.js';

const event = (requestId: string): UsageEvent => ({
  requestId,
  keyId: 'key',
  deploymentId: 'dep',
  modelId: '0xmodel',
  network: 'akash',
  node: '0xnode',
  replicaUrl: 'http://127.0.0.1:1',
  ok: true,
  latencyMs: 1,
  computeOps: 3,
  costWei: '0',
  receipt: '{"receipt":{}}',
  at: 0,
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function spoolIn(): { dir: string; spool: UsageSpool; lines: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-spool-'));
  dirs.push(dir);
  const spool = new UsageSpool(dir, 'gw');
  const lines = () => readFileSync(join(dir, 'gw.spool'), 'utf8').split('\n').filter(Boolean);
  return { dir, spool, lines };
}

describe('the usage spool, one write per microtask run', () => {
  it('writes a run of appendInTurn before any microtask queued after them, and keeps their order before a cut', async () => {
    const { dir, spool, lines } = spoolIn();
    const written: string[][] = [];
    const turn = [spool.appendInTurn(event('a')), spool.appendInTurn(event('b'))];
    expect(turn[0]).toBe(turn[1]); // one write, one promise for the run
    expect(lines()).toEqual([]); // held until the microtask
    queueMicrotask(() => written.push(lines()));
    await Promise.all(turn);
    expect(written[0]!.map((l) => JSON.parse(l).e.requestId)).toEqual(['a', 'b']);
    // A cut in the same run as an appendInTurn writes the held line before its marker.
    void spool.appendInTurn(event('c'));
    const batch = spool.cut()!;
    expect(batch.events.map((e) => e.requestId)).toEqual(['a', 'b', 'c']);
    expect(lines().map((l) => JSON.parse(l).t)).toEqual(['u', 'u', 'u', 'b']);
    // A run after the cut and no commit: a restart replays the cut batch and the tail.
    await spool.appendInTurn(event('d'));
    spool.close();
    const replay = UsageSpool.leftovers(dir, 'other');
    expect(replay[0]!.batches.map((b) => b.events.map((e) => e.requestId))).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('rejects the run when the write fails, and leaves its events out of the next batch', async () => {
    const { spool } = spoolIn();
    spool.close(); // the descriptor is gone: write(2) fails with EBADF
    await expect(spool.appendInTurn(event('a'))).rejects.toThrow(/EBADF/);
    expect(spool.cut()).toBeUndefined();
  });
});
