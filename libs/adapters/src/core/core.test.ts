import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backoffDelay, withBackoff } from './backoff.js';
import { CapacityError, errorFromHttpStatus, TransientError, UserError } from './errors.js';
import { JsonFileRecordStore } from './record-store.js';
import type { DeploymentRecord } from './types.js';

describe('backoff', () => {
  it('grows exponentially, caps and jitters', () => {
    const o = { baseMs: 100, factor: 2, maxMs: 1000, jitter: 0, random: () => 0.5 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, o))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(1, { ...o, jitter: 1, random: () => 0 })).toBe(0);
  });
  it('retries transient errors only, honouring Retry-After', async () => {
    const slept: number[] = [];
    let n = 0;
    const r = await withBackoff(
      async () => {
        if (++n < 3) throw new TransientError('rate-limited', 'slow down', { retryAfterMs: 700 });
        return 'ok';
      },
      { sleep: async (ms) => void slept.push(ms), jitter: 0 },
    );
    expect(r).toBe('ok');
    expect(slept).toEqual([700, 700]);
    let m = 0;
    await expect(
      withBackoff(async () => {
        m++;
        throw new UserError('bad-credentials', 'no');
      }),
    ).rejects.toBeInstanceOf(UserError);
    expect(m).toBe(1);
  });
});

describe('errors', () => {
  it('classify HTTP statuses', () => {
    expect(errorFromHttpStatus(401, 'x')).toMatchObject({ kind: 'user', code: 'bad-credentials' });
    expect(errorFromHttpStatus(402, 'x')).toMatchObject({ kind: 'user', code: 'no-funds' });
    expect(errorFromHttpStatus(409, 'x')).toBeInstanceOf(CapacityError);
    expect(errorFromHttpStatus(429, 'x', { retryAfter: '2' })).toMatchObject({
      kind: 'transient',
      retryAfterMs: 2000,
    });
    expect(errorFromHttpStatus(503, 'x').retryable).toBe(true);
    expect(new UserError('no-funds', 'empty', { adapter: 'a', hint: 'top up' }).describe()).toBe(
      '[a] user/no-funds: empty (top up)',
    );
  });
});

describe('JsonFileRecordStore', () => {
  it('writes atomically and reads back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stoa-store-'));
    const store = new JsonFileRecordStore(dir);
    const rec = {
      id: 'a-1',
      adapter: 'x',
      state: 'provisioning',
      steps: [],
      data: { n: 1 },
    } as unknown as DeploymentRecord;
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put({ ...rec, data: { n: i } })));
    expect((await store.get('a-1'))?.data.n).toBeTypeOf('number');
    expect(await readdir(dir)).toEqual(['a-1.json']); // no temp files left behind
    expect(await store.list()).toHaveLength(1);
    await expect(store.get('../etc/passwd')).rejects.toThrow(/invalid deployment id/);
    await store.delete('a-1');
    expect(await store.get('a-1')).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
  });
});
