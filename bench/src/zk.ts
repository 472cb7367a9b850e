import {
  checkWitness,
  deployZkVerifier,
  encodeZkWitness,
  manifestCircuit,
  modelCircuits,
  proveTile,
  tileBlocks,
} from '@stoa/circuits';
import {
  artifacts,
  chainClient,
  DEV_ACCOUNTS,
  deployReexecVerifier,
  type ExecutionView,
  honestView,
  reexecVerifierAbi,
  startAnvil,
  stepDescriptor,
  tileWitness,
} from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type Model, quantizeInput, tilesOf } from '@stoa/ir';
import { type Address, encodeFunctionData, type Hex } from 'viem';
import { printTable } from './measure.js';

/**
 * `npm run bench -- zk`: one disputed tile per step of the MNIST CNN (its first tile, cut to the
 * first 1 KiB output chunk as the game cuts it), settled by the Groth16 verifier and by the
 * re-execution verifier side by side on the same anvil chain: constraints, witness and proving
 * time, verification gas of each. Then the constraints of one disputed tile against those of
 * proving the whole inference with the same circuits.
 */
const CHUNK_BYTES = 1024;

function callData(
  abi: readonly unknown[],
  view: ExecutionView,
  step: number,
  start: number,
  end: number,
  witness: Hex,
) {
  return encodeFunctionData({
    abi,
    functionName: 'outputHash',
    args: [
      `0x${Buffer.from(view.trace.stateRoots[step]!).toString('hex')}`,
      stepDescriptor(view.model, step),
      BigInt(start),
      BigInt(end),
      witness,
    ],
  } as never);
}

function outputElements(model: Model, step: number): number {
  return stepDescriptor(model, step).outputType.shape.reduce((a, b) => a * b, 1);
}

export async function zkProofs(): Promise<void> {
  const [deployer] = DEV_ACCOUNTS;
  const chain = await startAnvil();
  try {
    const h = chainClient(chain.rpcUrl);
    const model = importMnistModel('cnn').model;
    const test = loadMnist('test');
    const view = await honestView(model, [quantizeInput(model.graph, 0, test.images.subarray(0, 784))]);
    const { zkVerifier } = await deployZkVerifier(h, deployer, [model]);
    const reexec = await deployReexecVerifier((artifact, args) => h.deploy(deployer, artifact, args));
    const gasOf = async (to: Address, data: Hex) => (await h.reader.estimateGas({ to, data })) - 21_000n;

    const rows: Record<string, string | number>[] = [];
    let wholeInference = 0;
    let largestTile = 0;
    for (const { step, circuit, blockElements } of modelCircuits(model)) {
      const tile = tilesOf(model.graph, model.schedule[step]!)[0]!;
      const start = tile.start;
      const end = Math.min(tile.end, CHUNK_BYTES); // i8 outputs: the first chunk holds 1024 elements
      const constraints = manifestCircuit(circuit.name).constraints;
      const { blocks } = tileBlocks(model, step, view.values, start, end);
      let t = performance.now();
      for (const b of blocks) await checkWitness(circuit.name, b);
      const witnessMs = performance.now() - t;
      t = performance.now();
      const proof = await proveTile(model, step, view.values, start, end);
      const proveMs = performance.now() - t;
      const zkGas = await gasOf(
        zkVerifier,
        callData(
          artifacts.zkVerifierArtifact.abi,
          view,
          step,
          start,
          end,
          encodeZkWitness(view, step, proof),
        ),
      );
      const reexecGas = await gasOf(
        reexec,
        callData(reexecVerifierAbi, view, step, start, end, tileWitness(view, step, start, end)),
      );
      const tileConstraints = constraints * blocks.length;
      largestTile = Math.max(largestTile, tileConstraints);
      wholeInference += constraints * Math.ceil(outputElements(model, step) / blockElements);
      rows.push({
        step,
        op: model.graph.edgeOps[model.schedule[step]!]!,
        tile: `[${start},${end})`,
        circuit: circuit.name,
        constraints,
        proofs: blocks.length,
        'witness ms': witnessMs.toFixed(0),
        'prove ms': proveMs.toFixed(0),
        'zk gas': zkGas.toString(),
        'reexec gas': reexecGas.toString(),
        'zk / reexec': (Number(zkGas) / Number(reexecGas)).toFixed(2),
      });
    }
    printTable(rows);
    console.log(
      `\nwhole MNIST CNN inference with these circuits: ${wholeInference} constraints; ` +
        `largest disputed tile: ${largestTile} constraints = 1/${Math.round(wholeInference / largestTile)} of it`,
    );
  } finally {
    await chain.stop();
    // snarkjs keeps its curve's worker threads alive; end them so the process can exit
    await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
  }
}
