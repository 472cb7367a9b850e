import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import {
  createHotPathBackend,
  type HotPathBackend,
  type IntTensor,
  type Model,
  quantizeInput,
} from '@stoa/ir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHotPathThread } from './hot-path-thread.js';

let model: Model;
let digits: IntTensor[][];
let inline: HotPathBackend;
let thread: HotPathBackend;

beforeAll(async () => {
  model = importMnistModel('cnn').model;
  const images = loadMnist('test').images;
  digits = Array.from({ length: 40 }, (_, i) => [
    quantizeInput(model.graph, 0, Array.from(images.subarray(784 * i, 784 * (i + 1)))),
  ]);
  inline = await createHotPathBackend(model, { spinning: false });
  thread = await createHotPathThread(model, { spinning: false });
}, 60_000);

afterAll(async () => {
  await inline?.close();
  await thread?.close();
});

describe('the hot path on a worker thread', () => {
  it('answers every inference bit for bit as the hot path on the event loop does', async () => {
    const expected = await Promise.all(digits.map((d) => inline.run(d)));
    // Sent in one turn (one message to the worker) and one at a time.
    const together = await Promise.all(digits.map((d) => thread.run(d)));
    const alone: IntTensor[][] = [];
    for (const d of digits) alone.push(await thread.run(d));
    for (const outputs of [together, alone])
      outputs.forEach((out, i) => {
        expect(out.map((t) => [t.dtype, t.shape])).toEqual(expected[i]!.map((t) => [t.dtype, t.shape]));
        expect(out.map((t) => Array.from(t.data))).toEqual(expected[i]!.map((t) => Array.from(t.data)));
      });
    expect(thread.fallbackSteps).toEqual(inline.fallbackSteps);
  });

  it('fails a malformed run alone, with the backend’s reason, and keeps serving', async () => {
    const wrong: IntTensor[] = [{ ...digits[0]![0]!, shape: [1, 1, 27, 27], data: new Int32Array(27 * 27) }];
    const [bad, good] = await Promise.allSettled([thread.run(wrong), thread.run(digits[1]!)]);
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason.message).toMatch(
      /^the hot path failed: input 0 'input' must be .*, got i8\[1,1,27,27\]$/,
    );
    expect(good.status).toBe('fulfilled');
    expect(Array.from((good as PromiseFulfilledResult<IntTensor[]>).value[0]!.data)).toEqual(
      Array.from((await inline.run(digits[1]!))[0]!.data),
    );
  });

  it('refuses runs once closed', async () => {
    const other = await createHotPathThread(model, { spinning: false });
    await other.close();
    await expect(other.run(digits[0]!)).rejects.toThrow('the hot path is closed');
  });
});
