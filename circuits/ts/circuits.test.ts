import { importMnistModel } from '@stoa/example-mnist';
import { dtypeInfo, edgeInputsOf, edgeOutputsOf, type Model, Random } from '@stoa/ir';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelCircuits } from './catalog.js';
import { checkWitness, tileBlocks } from './prove.js';
import { OP, pack31 } from './streams.js';

/**
 * Must-show 1: every tile circuit against the reference interpreter. For random tiles of each
 * MNIST CNN step, with random input values (and, every other tile, random weights and biases),
 * the witness generator — which checks every constraint — accepts the reference kernel's
 * output bytes, and rejects them once one byte is changed: the circuit computes exactly the
 * reference's bytes.
 */

let cnn: Model;
beforeAll(() => {
  cnn = importMnistModel('cnn').model;
});

const OPS = { Conv: OP.Conv, Relu: OP.Relu, MaxPool: OP.MaxPool, Reshape: OP.Reshape, MatMul: OP.MatMul };
const TILES_PER_OP = 100;

/** Random values for every input of step `step`: activations over their whole dtype range. */
function randomInputs(model: Model, step: number, random: Random, randomWeights: boolean) {
  const { graph } = model;
  const values: (Int32Array | undefined)[] = new Array(graph.nodeTypes.length);
  for (const node of edgeInputsOf(graph, model.schedule[step]!)) {
    if (graph.params.has(node) && !randomWeights) continue;
    const type = graph.nodeTypes[node]!;
    const size = type.shape.reduce((a, b) => a * b, 1);
    // i32 biases stay within ±2^24 so that |accumulator| < 2^31 holds (docs/semantics.md §3)
    const [lo, hi] =
      type.dtype === 'i32' ? [-(2 ** 24), 2 ** 24] : [dtypeInfo(type.dtype).min, dtypeInfo(type.dtype).max];
    values[node] = Int32Array.from({ length: size }, () => random.int(lo, hi));
  }
  return values;
}

describe('tile circuits match the reference interpreter bit for bit', () => {
  for (const [opName, code] of Object.entries(OPS)) {
    it(`${opName}: ${TILES_PER_OP} random tiles`, async () => {
      const random = new Random(code);
      const steps = modelCircuits(cnn).filter(({ step }) => stepOp(cnn, step) === code);
      expect(steps.length).toBeGreaterThan(0);
      let blocks = 0;
      for (let t = 0; t < TILES_PER_OP; t++) {
        const { step } = steps[t % steps.length]!;
        const total = outputElements(cnn, step);
        // tiles of at most two blocks keep the witness count (and the run time) bounded
        const per = steps[t % steps.length]!.blockElements;
        const start = random.int(0, total - 1);
        const end = Math.min(total, start + random.int(1, per + 1));
        const values = randomInputs(cnn, step, random, t % 2 === 1);
        const { circuit, blocks: inputs } = tileBlocks(cnn, step, values, start, end);
        for (const block of inputs) {
          await checkWitness(circuit.name, block);
          blocks++;
        }
        if (t % 10 === 0) {
          // a single wrong output byte (one the tile covers) is rejected
          const block = inputs[0]!;
          const output = block.output.slice();
          const at = start - block.block * block.output.length;
          output[at] = (output[at]! + 1 + random.int(0, 254)) % 256;
          await expect(
            checkWitness(circuit.name, { inPacked: block.inPacked, outPacked: pack31(output) }),
          ).rejects.toThrow();
        }
      }
      expect(blocks).toBeGreaterThanOrEqual(TILES_PER_OP);
    });
  }
});

function stepOp(model: Model, step: number): number {
  const name = model.graph.edgeOps[model.schedule[step]!]!;
  return OPS[name as keyof typeof OPS] ?? -1;
}

function outputElements(model: Model, step: number): number {
  const node = edgeOutputsOf(model.graph, model.schedule[step]!)[0]!;
  return model.graph.nodeTypes[node]!.shape.reduce((a, b) => a * b, 1);
}
