import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateNodeKey } from './node-key.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stoa-node-key-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the node's own key", () => {
  it('is made at first start, owner-readable only, and the same on every later start', async () => {
    const file = join(dir, 'vol', 'node.key');
    const first = await loadOrCreateNodeKey(file);
    expect(first.created).toBe(true);
    expect(first.key).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateNodeKey(file);
    expect(again).toEqual({ key: first.key, created: false });
  });

  it('is one key when two nodes start on one volume at once', async () => {
    const file = join(dir, 'race', 'node.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateNodeKey(file)));
    expect(new Set(keys.map((k) => k.key)).size).toBe(1);
    expect(keys.filter((k) => k.created)).toHaveLength(1);
    expect((await readFile(file, 'utf8')).trim()).toBe(keys[0]!.key);
  });

  it('refuses a damaged key file, naming it', async () => {
    const file = join(dir, 'bad.key');
    await writeFile(file, 'not a key');
    await expect(loadOrCreateNodeKey(file)).rejects.toThrow(
      `node key file ${file}: not a 0x-prefixed 32-byte hex key`,
    );
  });
});
