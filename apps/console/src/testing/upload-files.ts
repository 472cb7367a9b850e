import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageAt, loadMnist, MNIST_MODELS } from '@stoa/example-mnist';

export interface UploadFiles {
  /** examples/mnist's MLP as an ONNX file. */
  readonly onnx: string;
  /** 30 training digits (JSON number[][]), as the upload form's calibration file. */
  readonly calibration: string;
  /** 50 labelled test digits (JSON { inputs, labels }), as its eval file. */
  readonly eval: string;
  /** One held-out digit, 784 pixels. */
  readonly digit: number[];
}

let files: (UploadFiles & { dir: string }) | undefined;

/** What a user uploads on the Models page, written once to a temporary folder. */
export function uploadFiles(): UploadFiles {
  if (files) return files;
  const dir = mkdtempSync(join(tmpdir(), 'stoa-console-upload-'));
  const [train, test] = [loadMnist('train'), loadMnist('test')];
  const digits = (data: typeof train, from: number, count: number) =>
    Array.from({ length: count }, (_, i) => Array.from(imageAt(data, from + i)));
  const calibration = join(dir, 'calibration.json');
  writeFileSync(calibration, JSON.stringify(digits(train, 0, 30)));
  const evalFile = join(dir, 'eval.json');
  writeFileSync(
    evalFile,
    JSON.stringify({ inputs: digits(test, 0, 50), labels: Array.from(test.labels.subarray(0, 50)) }),
  );
  files = { dir, onnx: MNIST_MODELS.mlp, calibration, eval: evalFile, digit: digits(test, 50, 1)[0]! };
  return files;
}

/** Removes the files `uploadFiles` wrote. */
export function removeUploadFiles(): void {
  if (files) rmSync(files.dir, { recursive: true, force: true });
  files = undefined;
}
