import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TraceStore } from './store.js';

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

  it('never exceeds its cap, evicting the oldest first, across restarts', async () => {
    const dir = await tempDir();
    const cap = 5000;
    let store = await TraceStore.open(dir, { maxBytes: cap });
    for (let i = 0; i < 40; i++) {
      await store.put(`t${i}`, trace(i, 400 + (i % 7) * 50));
      expect(store.totalBytes).toBeLessThanOrEqual(cap);
      if (i % 10 === 9) store = await TraceStore.open(dir, { maxBytes: cap });
    }
    expect(store.has('t39')).toBe(true);
    expect(store.has('t0')).toBe(false);
    const onDisk = (await readdir(dir)).filter((f) => f.endsWith('.trace'));
    expect(onDisk.sort()).toEqual(
      store
        .keys()
        .map((k) => `${k}.trace`)
        .sort(),
    );
    const smaller = await TraceStore.open(dir, { maxBytes: 1200 });
    expect(smaller.totalBytes).toBeLessThanOrEqual(1200);
    await expect(smaller.put('huge', trace(1, 5000))).rejects.toThrow(/more than the store's cap/);
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
