export { imageAt, loadMnist, type MnistSplit } from './data/mnist.js';
export { MNIST_MODELS, type MnistModelKind } from './models.js';
