import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batch.js';

describe('MicroBatcher', () => {
  it('processes what is submitted in one turn as one batch, at most maxBatch at a time', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, string>(async (items) => {
      batches.push([...items]);
      return items.map((n) => `#${n}`);
    }, 4);
    const first = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => batcher.submit(n)));
    expect(first).toEqual(['#1', '#2', '#3', '#4', '#5', '#6']);
    expect(await batcher.submit(7)).toBe('#7'); // a later turn: a batch of its own
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6], [7]]);
  });

  it('pipelined: a batch takes at most half of the outstanding items, so two are in flight', async () => {
    const batches: number[][] = [];
    const release: (() => void)[] = [];
    const batcher = new MicroBatcher<number, number>(
      (items) => {
        batches.push([...items]);
        return new Promise((resolve) => release.push(() => resolve(items.map((n) => n * 10))));
      },
      32,
      { pipelined: true },
    );
    const turn = (ns: number[]) => ns.map((n) => batcher.submit(n));
    const first = turn([1, 2, 3, 4]); // 4 outstanding: 2 now, the other 2 a turn later
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2]]);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    release.shift()!();
    expect(await Promise.all(first.slice(0, 2))).toEqual([10, 20]);
    // Two back while two are out: 4 outstanding, so the two go together.
    const second = turn([5, 6]);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    for (const go of release.splice(0)) go();
    expect(await Promise.all([...first.slice(2), ...second])).toEqual([30, 40, 50, 60]);
  });

  it('pipelined with minSplit: never splits below the floor, as the gateway coalesces', async () => {
    const batches: number[][] = [];
    const release: (() => void)[] = [];
    const batcher = new MicroBatcher<number, number>(
      (items) => {
        batches.push([...items]);
        return new Promise((resolve) => release.push(() => resolve(items.map((n) => -n))));
      },
      32,
      { pipelined: true, minSplit: 4 },
    );
    const four = [1, 2, 3, 4].map((n) => batcher.submit(n)); // 4 outstanding: not split
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2, 3, 4]]);
    const eight = [5, 6, 7, 8, 9, 10, 11, 12].map((n) => batcher.submit(n)); // 12 outstanding: 6 now
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8, 9, 10],
      [11, 12],
    ]);
    for (const go of release.splice(0)) go();
    expect(await Promise.all([...four, ...eight])).toEqual([
      -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12,
    ]);
    expect(() => new MicroBatcher(async () => [], 8, { pipelined: true, minSplit: 0 })).toThrow(/minSplit/);
  });

  it('fails every request of a failed batch with its error, and serves the next batch', async () => {
    let fail = true;
    const batcher = new MicroBatcher<number, number>(async (items) => {
      if (fail) throw new Error('the journal is full');
      return items.map((n) => n * 2);
    }, 8);
    const failed = await Promise.allSettled([1, 2].map((n) => batcher.submit(n)));
    expect(failed.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual([
      'the journal is full',
      'the journal is full',
    ]);
    fail = false;
    expect(await batcher.submit(3)).toBe(6);
  });

  it('refuses a batch that returns the wrong number of results', async () => {
    const batcher = new MicroBatcher<number, number>(async () => [1], 8);
    await expect(Promise.all([batcher.submit(1), batcher.submit(2)])).rejects.toThrow(
      /a batch of 2 gave 1 results/,
    );
  });
});
