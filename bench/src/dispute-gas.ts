import {
  type ChainClient,
  chainClient,
  challengerFromView,
  claimantFromView,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  type ExecutionView,
  honestView,
  openDispute,
  perturbStep,
  playOut,
  postClaim,
  reexecVerifierArtifact,
  setUpGame,
  signView,
  startAnvil,
  stepDescriptor,
  tamperedView,
  tileWitness,
} from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type Model, quantizeInput, tilesOf } from '@stoa/ir';
import { type Address, encodeFunctionData } from 'viem';
import { printTable } from './measure.js';

const [deployer, node, challenger] = DEV_ACCOUNTS;
const ONE_STEP_TARGET = 500_000n;
const DISPUTE_TARGET = 5_000_000n;

interface Sent {
  readonly fn: string;
  readonly from: Address;
  readonly gas: bigint;
}

/** The client, with every transaction's gas recorded by function name and sender. */
function recording(client: ChainClient, log: Sent[]): ChainClient {
  return {
    ...client,
    async send(account, address, abi, fn, args, value) {
      const sent = await client.send(account, address, abi, fn, args, value);
      log.push({ fn, from: account.address, gas: sent.receipt.gasUsed });
      return sent;
    },
  };
}

/** Gas of the one-step re-execution of every tile of every step (eth_estimateGas minus the base cost). */
async function oneStepGas(client: ChainClient, verifier: Address, view: ExecutionView) {
  const { model } = view;
  const rows: { step: number; op: string; tiles: number; largest: bigint; total: bigint }[] = [];
  for (let step = 0; step < model.schedule.length; step++) {
    const edge = model.schedule[step]!;
    let largest = 0n;
    let total = 0n;
    const tiles = tilesOf(model.graph, edge);
    for (const tile of tiles) {
      const gas = await client.reader.estimateGas({
        to: verifier,
        data: encodeOutputHash(model, view, step, tile.start, tile.end),
      });
      largest = gas > largest ? gas : largest;
      total += gas - 21_000n;
    }
    rows.push({ step, op: model.graph.edgeOps[edge]!, tiles: tiles.length, largest, total });
  }
  return rows;
}

function encodeOutputHash(model: Model, view: ExecutionView, step: number, start: number, end: number) {
  return encodeFunctionData({
    abi: reexecVerifierArtifact.abi,
    functionName: 'outputHash',
    args: [
      `0x${Buffer.from(view.trace.stateRoots[step]!).toString('hex')}`,
      stepDescriptor(model, step),
      BigInt(start),
      BigInt(end),
      tileWitness(view, step, start, end),
    ],
  } as never);
}

/** Plays a complete dispute (a node that changed one value of `step`) and sums the gas. */
async function completeDispute(
  client: ChainClient,
  chain: Awaited<ReturnType<typeof startAnvil>>,
  model: Model,
  honest: ExecutionView,
  arity: number,
  step: number,
) {
  const log: Sent[] = [];
  const rec = recording(client, log);
  const f = await setUpGame(chain, rec, deployer, node, model, { ...DEV_PARAMETERS, arity: BigInt(arity) });
  const liar = tamperedView(honest, perturbStep(step, 17));
  const { claimId, batch } = await postClaim(f, [await signView(f, liar, 1n)]);
  log.length = 0;
  const started = performance.now();
  const disputeId = await openDispute(f, challenger, claimId, batch, 0);
  const end = await playOut(
    { h: rec, game: f.at.disputeGame, disputeId, arity },
    claimantFromView(node, liar),
    challengerFromView(challenger, honest),
  );
  const ms = performance.now() - started;
  if (!end.challengerWon) throw new Error('the honest challenger lost: the benchmark measured a broken game');
  const byParty = (who: Address) => log.filter((s) => s.from === who).reduce((a, s) => a + s.gas, 0n);
  return { log, end, ms, claimant: byParty(node.address), challenger: byParty(challenger.address), f };
}

export async function disputeGas(): Promise<void> {
  const chain = await startAnvil();
  try {
    const client = chainClient(chain.rpcUrl);
    const { model } = importMnistModel('cnn');
    const test = loadMnist('test');
    const honest = await honestView(model, [quantizeInput(model.graph, 0, test.images.subarray(0, 784))]);

    console.log(
      'Gas per entry point, from one complete dispute on the MNIST CNN (k = 2, the second convolution disputed):\n',
    );
    const game = await completeDispute(client, chain, model, honest, 2, 3);
    printTable(
      game.log.map((s) => ({
        'entry point': s.fn,
        party: s.from === node.address ? 'claimant' : 'challenger',
        gas: s.gas.toString(),
      })),
    );

    console.log('\nOne-step re-execution (ReexecVerifier.outputHash), per step of the MNIST CNN:\n');
    const oneStep = await oneStepGas(client, game.f.at.reexecVerifier, honest);
    const wholeInference = oneStep.reduce((a, r) => a + r.total, 0n);
    printTable(
      oneStep.map((r) => ({
        step: r.step,
        op: r.op,
        tiles: r.tiles,
        'largest tile gas': r.largest.toString(),
        'all tiles gas': r.total.toString(),
      })),
    );
    const largest = oneStep.map((r) => r.largest).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))[0] ?? 0n;
    console.log(
      `\nlargest tile: ${largest} gas (target ≤ ${ONE_STEP_TARGET}: ${largest <= ONE_STEP_TARGET ? 'met' : 'NOT met'})`,
    );
    console.log(`re-executing the whole inference on-chain, tile by tile: ${wholeInference} gas`);

    console.log(
      '\nComplete disputes on the MNIST CNN (a node that changed one value of the second convolution):\n',
    );
    const rows = [];
    for (const arity of [2, 4, 8]) {
      const g = arity === 2 ? game : await completeDispute(client, chain, model, honest, arity, 3);
      const total = g.claimant + g.challenger;
      rows.push({
        k: arity,
        rounds: g.end.rounds,
        transactions: g.log.length,
        'claimant gas': g.claimant.toString(),
        'challenger gas': g.challenger.toString(),
        'total gas': total.toString(),
        'total / whole re-execution': (Number(total) / Number(wholeInference)).toFixed(2),
        'wall ms': g.ms.toFixed(0),
        'target ≤ 5M': total <= DISPUTE_TARGET ? 'met' : 'NOT met',
      });
    }
    printTable(rows);
  } finally {
    await chain.stop();
  }
}
