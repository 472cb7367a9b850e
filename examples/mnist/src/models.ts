import { fileURLToPath } from 'node:url';

export type MnistModelKind = 'mlp' | 'cnn';

/** The committed ONNX models, produced by `npm run train -w @stoa/example-mnist`. */
export const MNIST_MODELS: Readonly<Record<MnistModelKind, string>> = {
  mlp: fileURLToPath(new URL('../models/mlp.onnx', import.meta.url)),
  cnn: fileURLToPath(new URL('../models/cnn.onnx', import.meta.url)),
};
