import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readIdxImages, readIdxLabels } from './idx.js';
import { imageAt, loadMnist, MNIST_PIXELS } from './mnist.js';

describe('loadMnist', () => {
  it('reads the 60k/10k splits with pixels scaled to [0, 1]', () => {
    const train = loadMnist('train');
    const test = loadMnist('test');
    expect([train.count, test.count]).toEqual([60000, 10000]);
    expect(test.images.length).toBe(10000 * MNIST_PIXELS);
    expect(Math.max(...test.images.subarray(0, 10 * MNIST_PIXELS))).toBe(1);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(loadMnist('test')).toBe(test);
  });

  it('imageAt returns one image and rejects indices outside the split', () => {
    const test = loadMnist('test');
    expect(imageAt(test, 3)).toEqual(test.images.subarray(3 * MNIST_PIXELS, 4 * MNIST_PIXELS));
    expect(() => imageAt(test, 10000)).toThrow(/outside/);
  });
});

describe('IDX validation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file when the magic number is wrong', () => {
    const path = join(dir, 'bad-magic-idx1-ubyte');
    writeFileSync(path, Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 0));
    expect(() => readIdxLabels(path)).toThrow(/bad-magic-idx1-ubyte: bad IDX magic 0x00000803/);
  });

  it('names the file when the payload does not match the header', () => {
    const path = join(dir, 'short-idx3-ubyte');
    writeFileSync(path, Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3));
    expect(() => readIdxImages(path)).toThrow(
      /short-idx3-ubyte: file is 19 bytes, header says it should be 1584/,
    );
  });
});
