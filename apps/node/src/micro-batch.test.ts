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
