/**
 * Run as its own process by the determinism test: prints, for a fixed set of models and
 * inputs, the SHA-256 of every intermediate tensor, of the outputs and the modelIds.
 */
import { sha256, toHex } from '../commit/hash.js';
import { encodeModel, modelId } from '../encoding/codec.js';
import { run } from '../interpreter.js';
import { randomGraph } from './random-graph.js';

const report: Record<string, string> = {};
for (let seed = 1; seed <= 40; seed++) {
  const { model, inputs } = randomGraph(seed);
  const { values } = run(model, inputs, { keepIntermediates: true });
  const all = values!
    .filter((v): v is Int32Array => v !== undefined)
    .map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  report[`graph-${seed}`] = toHex(sha256(...all));
  report[`id-${seed}`] = toHex(modelId(model));
  report[`artifact-${seed}`] = toHex(sha256(encodeModel(model)));
}
process.stdout.write(JSON.stringify(report));
