import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TraceStore, TraceStoreFullError } from './store.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stoa-traces-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const trace = (seed: number, size: number) => ({
  modelId: `0x${seed.toString(16).padStart(64, '0')}`,
  dtypes: ['i8', 'i32'] as const,
  values: [Int32Array.from({ length: size }, (_, i) => ((i + seed) % 255) - 127), Int32Array.of(seed, -seed)],
  receipt: { nonce: String(seed), steps: 3 },
});

describe('trace store', () => {
  it('takes concurrent puts of one key without a torn file or a wrong size count', async () => {
    const dir = await tempDir();
    const store = await TraceStore.open(dir, { maxBytes: 1_000_000 });
    await Promise.all(Array.from({ length: 20 }, () => store.put('same', trace(7, 500))));
    expect(store.keys()).toEqual(['same']);
    expect(await readdir(dir)).toEqual(['same.trace']);
    const reopened = await TraceStore.open(dir, { maxBytes: 1_000_000 });
    expect(store.totalBytes).toBe(reopened.totalBytes);
    expect((await reopened.get('same'))!.values[0]).toEqual(trace(7, 500).values[0]);
  });

  it('returns what was stored, after a restart too', async () => {
    const dir = await tempDir();
    const store = await TraceStore.open(dir, { maxBytes: 1_000_000 });
    await store.put('a', trace(1, 100));
    await store.put('b', trace(2, 300));
    const reopened = await TraceStore.open(dir, { maxBytes: 1_000_000 });
    expect(reopened.keys()).toEqual(['a', 'b']);
    expect(await reopened.get('b')).toEqual(trace(2, 300));
    expect(reopened.totalBytes).toBe(store.totalBytes);
    expect(await reopened.get('missing')).toBeUndefined();
  });

  it('never evicts: a put past its cap fails and every stored trace stays, across restarts (issue 18, finding 1)', async () => {
    const dir = await tempDir();
    const cap = 5000;
    let store = await TraceStore.open(dir, { maxBytes: cap });
    const stored: number[] = [];
    for (let i = 0; i < 40; i++) {
      try {
        await store.put(`t${i}`, trace(i, 400 + (i % 7) * 50));
        stored.push(i);
      } catch (error) {
        expect(error).toBeInstanceOf(TraceStoreFullError);
        expect((error as TraceStoreFullError).message).toMatch(
          new RegExp(`trace 't${i}' needs \\d+ bytes, \\d+ are free`),
        );
      }
      expect(store.totalBytes).toBeLessThanOrEqual(cap);
      if (i % 10 === 9) store = await TraceStore.open(dir, { maxBytes: cap });
    }
    // The first traces — the ones an old eviction dropped — are all still there.
    expect(stored.slice(0, 3)).toEqual([0, 1, 2]);
    expect(store.keys()).toEqual(stored.map((i) => `t${i}`));
    for (const i of stored) expect(await store.get(`t${i}`)).toEqual(trace(i, 400 + (i % 7) * 50));
    // Deleting (what a finalized claim does) makes room again.
    await store.delete('t0');
    await store.put('after', trace(99, 300));
    expect(store.has('after')).toBe(true);
    // A cap lowered below what is on disk keeps everything and refuses new traces.
    const smaller = await TraceStore.open(dir, { maxBytes: 1200 });
    expect(smaller.keys().sort()).toEqual(store.keys().sort());
    expect(smaller.freeBytes).toBe(0);
    await expect(smaller.put('more', trace(1, 10))).rejects.toThrow(TraceStoreFullError);
  });

  it('reserves room for traces being computed, so concurrent producers never overfill it', async () => {
    const store = await TraceStore.open(await tempDir(), { maxBytes: 3000 });
    const first = store.tryReserve(1400);
    const second = store.tryReserve(1400);
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(store.tryReserve(1400)).toBeUndefined();
    await Promise.all([store.put('a', trace(1, 900)), store.put('b', trace(2, 900))]);
    first!();
    second!();
    second!(); // releasing twice gives back nothing more
    expect(store.freeBytes).toBe(3000 - store.totalBytes);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.put(`c${i}`, trace(i, 600)).catch((e: unknown) => e)),
    );
    expect(store.totalBytes).toBeLessThanOrEqual(3000);
  });

  it('drops torn temporary files and names a corrupt trace', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'x.trace.tmp'), 'partial');
    await writeFile(join(dir, 'bad.trace'), Uint8Array.of(255, 255, 0, 0, 1));
    const store = await TraceStore.open(dir, { maxBytes: 10_000 });
    expect(await readdir(dir)).not.toContain('x.trace.tmp');
    await expect(store.get('bad')).rejects.toThrow(/stored trace 'bad' is corrupt/);
    await expect(store.put('../escape', trace(1, 1))).rejects.toThrow(/invalid trace key/);
  });
});
