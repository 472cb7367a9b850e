/**
 * Run as its own process by the determinism test: imports one MNIST model, runs ten held-out
 * digits through the reference interpreter, and prints the modelId and the SHA-256 of every
 * output and intermediate tensor.
 */
import { modelId, quantizeInput, run, sha256, toHex } from '@stoa/ir';
import { loadMnist } from '../data/mnist.js';
import { digit, importMnistModel } from '../evaluate.js';
import type { MnistModelKind } from '../models.js';

const kind = process.argv[2] as MnistModelKind;
const q = importMnistModel(kind);
const test = loadMnist('test');
const digests: string[] = [];
for (let i = 0; i < 10; i++) {
  const { values } = run(q.model, [quantizeInput(q.model.graph, 0, digit(test, i))], {
    keepIntermediates: true,
  });
  const tensors = values!.filter((v): v is Int32Array => v !== undefined);
  digests.push(toHex(sha256(...tensors.map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength)))));
}
process.stdout.write(JSON.stringify({ modelId: toHex(modelId(q.model)), digests }));
