import { MNIST_CLASSES, MNIST_COLS, MNIST_PIXELS, MNIST_ROWS } from '../data/mnist.js';
import { BatchNorm2d, Conv2d, Dense, Flatten, MaxPool2d, Relu } from './layers/index.js';
import type { Random } from './random.js';
import { Sequential } from './sequential.js';

/** [N,784] → fc1(128) → relu → fc2(64) → relu → fc3(10) logits. */
export function createMlp(random: Random): Sequential {
  return new Sequential(
    'mnist_mlp',
    [MNIST_PIXELS],
    [
      new Dense('fc1', MNIST_PIXELS, 128, random),
      new Relu('relu1', 128),
      new Dense('fc2', 128, 64, random),
      new Relu('relu2', 64),
      new Dense('fc3', 64, MNIST_CLASSES, random),
    ],
  );
}

/** [N,1,28,28] → (conv → bn → relu → pool) x2 → flatten → fc1(64) → relu → fc2(10) logits. */
export function createCnn(random: Random): Sequential {
  const H = MNIST_ROWS;
  const W = MNIST_COLS;
  return new Sequential(
    'mnist_cnn',
    [1, H, W],
    [
      new Conv2d('conv1', 1, 8, H, W, random),
      new BatchNorm2d('bn1', 8, H, W),
      new Relu('relu1', 8 * H * W),
      new MaxPool2d('pool1', 8, H, W),
      new Conv2d('conv2', 8, 16, H / 2, W / 2, random),
      new BatchNorm2d('bn2', 16, H / 2, W / 2),
      new Relu('relu2', (16 * H * W) / 4),
      new MaxPool2d('pool2', 16, H / 2, W / 2),
      new Flatten('flatten', (16 * H * W) / 16),
      new Dense('fc1', (16 * H * W) / 16, 64, random),
      new Relu('relu3', 64),
      new Dense('fc2', 64, MNIST_CLASSES, random),
    ],
  );
}
