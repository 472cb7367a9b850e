import { describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../commit/hash.js';
import { merkleRoot } from '../commit/merkle.js';
import { tensorBytes } from '../tensor.js';
import { randomGraph } from '../testing/random-graph.js';
import { execute } from './execute.js';
import {
  openChunk,
  openStep,
  openStepInput,
  verifyChunk,
  verifyStateOpening,
  verifyStepOpening,
} from './proofs.js';
import { isLiveAfter, liveness } from './trace.js';

const flip = (bytes: Uint8Array, at = 0) => {
  const copy = Uint8Array.from(bytes);
  copy[at % copy.length]! ^= 0x10;
  return copy;
};

describe('trace commitments', () => {
  it('opens every chunk, every step input and every step, and rejects any flipped byte', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const { model, inputs } = randomGraph(seed);
      const { trace, values } = await execute(model, inputs, { trace: true });
      const { graph, schedule } = model;
      for (let n = 0; n < graph.nodeTypes.length; n++) {
        const bytes = tensorBytes(graph.nodeTypes[n]!.dtype, values![n]!);
        const digest = trace!.nodeDigests[n]!;
        const chunks = Math.ceil(bytes.length / 1024);
        for (let c = 0; c < chunks; c++) {
          const opening = openChunk(bytes, c);
          expect(verifyChunk(digest, opening)).toBe(true);
          expect(verifyChunk(digest, { ...opening, chunk: flip(opening.chunk, n) })).toBe(false);
          expect(verifyChunk(flip(digest, 3), opening)).toBe(false);
          if (opening.proof.length > 0)
            expect(
              verifyChunk(digest, {
                ...opening,
                proof: [flip(opening.proof[0]!), ...opening.proof.slice(1)],
              }),
            ).toBe(false);
        }
      }
      schedule.forEach((edge, step) => {
        const inputCount = graph.edgeInputs.offsets[edge + 1]! - graph.edgeInputs.offsets[edge]!;
        for (let i = 0; i < inputCount; i++) {
          const opening = openStepInput(model, trace!, step, i);
          const root = trace!.stateRoots[step]!;
          expect(verifyStateOpening(root, opening)).toBe(true);
          expect(verifyStateOpening(flip(root, 7), opening)).toBe(false);
          expect(verifyStateOpening(root, { ...opening, digest: flip(opening.digest, 1) })).toBe(false);
          if (opening.proof.length > 0)
            expect(
              verifyStateOpening(root, { ...opening, proof: opening.proof.map((p) => flip(p, 2)) }),
            ).toBe(false);
        }
        const stepOpening = openStep(trace!, step);
        expect(verifyStepOpening(trace!.traceRoot, stepOpening)).toBe(true);
        expect(verifyStepOpening(flip(trace!.traceRoot), stepOpening)).toBe(false);
        expect(verifyStepOpening(trace!.traceRoot, { ...stepOpening, leaf: flip(stepOpening.leaf, 5) })).toBe(
          false,
        );
      });
    }
  });

  it('computes each incremental state root as the root over the live tensors from scratch', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const { model, inputs } = randomGraph(seed);
      const { trace } = await execute(model, inputs, { trace: true });
      const l = liveness(model.graph, model.schedule);
      trace!.stateRoots.forEach((root, k) => {
        const leaves = trace!.nodeDigests.map((d, n) => (isLiveAfter(l, n, k - 1) ? d : new Uint8Array(32)));
        expect(equalBytes(root, merkleRoot(leaves))).toBe(true);
      });
    }
  });

  it('is deterministic, and any change of input changes the input digest and trace root', async () => {
    const { model, inputs } = randomGraph(5);
    const a = await execute(model, inputs, { trace: true });
    const b = await execute(model, [{ ...inputs[0]!, data: Int32Array.from(inputs[0]!.data) }], {
      trace: true,
    });
    expect(toHex(b.trace!.traceRoot)).toBe(toHex(a.trace!.traceRoot));
    const changed = Int32Array.from(inputs[0]!.data);
    changed[0] = changed[0] === 0 ? 1 : 0;
    const c = await execute(model, [{ ...inputs[0]!, data: changed }], { trace: true });
    expect(toHex(c.trace!.inputDigest)).not.toBe(toHex(a.trace!.inputDigest));
    expect(toHex(c.trace!.traceRoot)).not.toBe(toHex(a.trace!.traceRoot));
  });
});
