import { readFileSync } from 'node:fs';
import { imageAt, loadMnist, MNIST_MODELS, type MnistModelKind } from '@stoa/example-mnist';
import type { ModelImportInput } from '@stoa/sdk';

/** The examples a console user can import without uploading anything. */
export const EXAMPLES = {
  'mnist-mlp': { kind: 'mlp', title: 'MNIST MLP (784-128-10)' },
  'mnist-cnn': { kind: 'cnn', title: 'MNIST CNN' },
} as const satisfies Record<string, { kind: MnistModelKind; title: string }>;

export type ExampleName = keyof typeof EXAMPLES;

const CALIBRATION = 100;
const EVAL = 100;

const digits = (split: 'train' | 'test', count: number) => {
  const data = loadMnist(split);
  return Array.from({ length: count }, (_, i) => Array.from(imageAt(data, i)));
};

/** An example's ONNX model with calibration on training digits and accuracy on test digits. */
export function exampleImport(name: ExampleName): ModelImportInput {
  const file = MNIST_MODELS[EXAMPLES[name].kind];
  const test = loadMnist('test');
  return {
    name,
    onnx: new Uint8Array(readFileSync(file)),
    label: file,
    calibration: digits('train', CALIBRATION),
    evalSet: { inputs: digits('test', EVAL), labels: Array.from(test.labels.subarray(0, EVAL)) },
  };
}
