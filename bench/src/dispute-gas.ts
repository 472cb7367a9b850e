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
  reexecVerifierAbi,
  setUpGame,
  signView,
  startAnvil,
  stepDescriptor,
  tamperedView,
  tileWitness,
} from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type Model, quantizeInput, Random, tilesOf } from '@stoa/ir';
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
    abi: reexecVerifierAbi,
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

/** Gas prices the griefing ratio is checked at, in gwei (issue 18: every price up to 500 gwei). */
const GAS_PRICES_GWEI = [1n, 10n, 50n, 100n, 200n, 300n, 500n];
const TARGET_RATIO = 6;

/**
 * What a griefer spends against what it costs an honest node: the griefer disputes a correct
 * receipt and plays at random (`seeds` games). Returns each game's gas per party.
 */
async function griefingGames(
  client: ChainClient,
  chain: Awaited<ReturnType<typeof startAnvil>>,
  model: Model,
  honest: ExecutionView,
  seeds: number,
) {
  const log: Sent[] = [];
  const rec = recording(client, log);
  const f = await setUpGame(chain, rec, deployer, node, model, DEV_PARAMETERS);
  const { claimId, batch } = await postClaim(f, [await signView(f, honest, 1n)]);
  const games = [];
  for (let seed = 1; seed <= seeds; seed++) {
    log.length = 0;
    const disputeId = await openDispute(f, challenger, claimId, batch, 0);
    const end = await playOut(
      { h: rec, game: f.at.disputeGame, disputeId, arity: Number(DEV_PARAMETERS.arity) },
      claimantFromView(node, honest),
      challengerFromView(challenger, honest, { random: new Random(seed) }),
    );
    if (end.challengerWon)
      throw new Error('a griefer beat an honest node: the benchmark measured a broken game');
    const byParty = (who: Address) => log.filter((s) => s.from === who).reduce((a, s) => a + s.gas, 0n);
    games.push({
      seed,
      rounds: end.rounds,
      defender: byParty(node.address),
      attacker: byParty(challenger.address),
    });
  }
  return games;
}

/**
 * ratio(p) = (B + G_attacker · p) / (G_defender · p): what a griefer spends (its bond, which the
 * honest node wins, and its gas) over what the honest node spends (its gas), per game, at gas
 * price p. The smallest over the measured games at each price.
 */
export function griefingRatio(
  bond: bigint,
  attackerGas: bigint,
  defenderGas: bigint,
  gasPriceWei: bigint,
): number {
  return Number(bond + attackerGas * gasPriceWei) / Number(defenderGas * gasPriceWei);
}

async function printGriefing(
  client: ChainClient,
  chain: Awaited<ReturnType<typeof startAnvil>>,
  model: Model,
  honest: ExecutionView,
) {
  console.log(
    `\nGriefing an honest node: a challenger disputes a correct receipt and plays at random (MNIST CNN, k = ${DEV_PARAMETERS.arity}):\n`,
  );
  const games = await griefingGames(client, chain, model, honest, 6);
  printTable(
    games.map((g) => ({
      seed: g.seed,
      rounds: g.rounds,
      'defender gas': g.defender.toString(),
      'attacker gas': g.attacker.toString(),
    })),
  );
  const bond = DEV_PARAMETERS.challengeBond;
  const worst = games.reduce((a, g) =>
    (g.defender * 1000n) / g.attacker > (a.defender * 1000n) / a.attacker ? g : a,
  );
  const needed = (BigInt(TARGET_RATIO) * worst.defender - worst.attacker) * 500n * 10n ** 9n;
  console.log(
    `\nratio(p) = (challengeBond + G_attacker·p) / (G_defender·p), smallest over the games; challengeBond = ${bond} wei`,
  );
  const rows = GAS_PRICES_GWEI.map((gwei) => {
    const p = gwei * 10n ** 9n;
    const ratio = Math.min(...games.map((g) => griefingRatio(bond, g.attacker, g.defender, p)));
    const bondCovers = games.every((g) => bond >= g.defender * p);
    return {
      'gas price gwei': gwei.toString(),
      'attacker / defender': ratio.toFixed(2),
      'without the bond': Math.min(...games.map((g) => griefingRatio(0n, g.attacker, g.defender, p))).toFixed(
        2,
      ),
      'bond covers defender gas': bondCovers ? 'yes' : 'NO',
      [`target ≥ ${TARGET_RATIO}`]: ratio >= TARGET_RATIO ? 'met' : 'NOT met',
    };
  });
  printTable(rows);
  console.log(`challengeBond needed for ≥ ${TARGET_RATIO} at 500 gwei: ${needed} wei`);
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
    await printGriefing(client, chain, model, honest);
  } finally {
    await chain.stop();
  }
}
