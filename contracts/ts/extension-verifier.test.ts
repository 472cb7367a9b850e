import {
  edgeOutputsOf,
  executeTile,
  randomActivationGraph,
  sha256,
  tensorBytes,
  tilesOf,
  toHex,
} from '@stoa/ir';
import type { Address } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from './anvil.js';
import { reexecVerifierArtifact } from './artifacts.generated.js';
import { honestView } from './game/scenario.js';
import { tileWitness } from './game/witness.js';
import { stepDescriptor } from './one-step/descriptor.js';
import { chainHarness, DEV_ACCOUNTS } from './testing/harness.js';

const GRAPHS = 6;

let chain: LocalChain;
let h: ReturnType<typeof chainHarness>;
let verifier: Address;

beforeAll(async () => {
  chain = await startAnvil();
  h = chainHarness(chain);
  verifier = await h.deploy(DEV_ACCOUNTS[0], reexecVerifierArtifact);
});
afterAll(async () => {
  await chain?.stop();
});

describe('ReexecVerifier on the ops it forwards to its ExtensionVerifier', () => {
  it('settles tiles of Clip and HardSigmoid (forwarded) and of Add and Mul (its own) against opened inputs', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= GRAPHS; seed++) {
      const { model, inputs } = randomActivationGraph(seed);
      const view = await honestView(model, inputs);
      for (let step = 0; step < model.schedule.length; step++) {
        const edge = model.schedule[step]!;
        const tile = tilesOf(model.graph, edge)[0]!;
        const stepInputs = stepDescriptor(model, step).inputNodes.map((n) => view.values[n]!);
        const out = executeTile(model.graph, edge, stepInputs, tile);
        const dtype = model.graph.nodeTypes[edgeOutputsOf(model.graph, edge)[0]!]!.dtype;
        const hash = await h.read(verifier, reexecVerifierArtifact.abi, 'outputHash', [
          toHex(view.trace.stateRoots[step]!),
          stepDescriptor(model, step),
          BigInt(tile.start),
          BigInt(tile.end),
          tileWitness(view, step, tile.start, tile.end),
        ]);
        expect(hash, `seed ${seed} step ${step} ${model.graph.edgeOps[edge]}`).toBe(
          toHex(sha256(tensorBytes(dtype, out))),
        );
        seen.add(model.graph.edgeOps[edge]!);
      }
    }
    expect([...seen].sort()).toEqual(['Add', 'Clip', 'HardSigmoid', 'Mul']);
  });
});
