export { imageAt, loadMnist, type MnistSplit } from './data/mnist.js';
export {
  type AccuracyReport,
  argmax,
  importMnistModel,
  measureAccuracy,
  type QuantizedMnist,
} from './evaluate.js';
export { MNIST_MODELS, type MnistModelKind } from './models.js';
