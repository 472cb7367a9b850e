import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chainClient,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  honestView,
  modelCommitments,
  openDispute,
  Phase,
  ReceiptBatch,
  readGame,
  receiptDomainOf,
  setUpGame,
  startAnvil,
} from '@stoa/contracts';
import { Claimer, Defender, DisputePlayer, onDemandReceipt, rebuildView } from '@stoa/dispute';
import { importMnistModel } from '@stoa/example-mnist';
import {
  createHotPathBackend,
  createOnnxRuntimeBackend,
  type ExecutionBackend,
  type IntTensor,
  importOnnx,
  type Model,
  Random,
  signReceipt,
} from '@stoa/ir';
import { LARGE_CNN_INPUT, largeCnnOnnx } from './large-cnn.js';
import { medianPair, printTable } from './measure.js';

const [deployer, node, challenger] = DEV_ACCOUNTS;
/** Disputes opened per model for the time to the first move (STOA_BENCH_DISPUTES). */
const DISPUTES = Number(process.env.STOA_BENCH_DISPUTES ?? 3);

function randomInputs(model: Model, rng: Random): IntTensor[] {
  return [...model.graph.inputs].map((n) => {
    const { dtype, shape } = model.graph.nodeTypes[n]!;
    const size = shape.reduce((a, b) => a * b, 1);
    return { dtype, shape: [...shape], data: Int32Array.from({ length: size }, () => rng.int(-128, 127)) };
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Hot path vs rebuilding its trace on demand (traced onnxruntime backend + the receipt checks). */
async function rebuildThroughput(name: string, model: Model, traced: ExecutionBackend) {
  const hot = await createHotPathBackend(model);
  const inputs = randomInputs(model, new Random(1));
  const outputs = await hot.run(inputs);
  const receipt = { ...onDemandReceipt(model, inputs, outputs, node.address, 1n), signature: '0x' as const };
  const [hotMs, rebuildMs] = await medianPair(
    () => hot.run(inputs),
    () => rebuildView(model, inputs, receipt, traced),
    3000,
  );
  await hot.close();
  return {
    model: name,
    'hot path median ms': hotMs.toFixed(2),
    'rebuild median ms': rebuildMs.toFixed(2),
    'rebuilds/s': (1000 / rebuildMs).toFixed(1),
    'rebuild/hot': (rebuildMs / hotMs).toFixed(2),
  };
}

/**
 * A node's claim of on-demand receipts on anvil; disputes opened one at a time: the time from
 * the open transaction's receipt to the node's `commitTrace` landing, through `Defender.poll`
 * (a running node adds up to one poll interval, STOA_POLL_MS). Each game is then played out
 * against an honest challenger so the next measurement moves one game only.
 */
async function timeToFirstMove(model: Model, traced: ExecutionBackend) {
  const chain = await startAnvil();
  const dir = await mkdtemp(join(tmpdir(), 'stoa-on-demand-'));
  try {
    const client = chainClient(chain.rpcUrl);
    const f = await setUpGame(chain, client, deployer, node, model, DEV_PARAMETERS);
    const id = modelCommitments(model).modelId.toLowerCase();
    const models = (m: string) => (m.toLowerCase() === id ? model : undefined);
    const claimer = await Claimer.open({
      dir: join(dir, 'claims'),
      client,
      account: node,
      addresses: f.at,
      batchSize: 1000,
      maxBatchAgeMs: 60_000,
      models,
    });
    const domain = receiptDomainOf(f.at);
    const rng = new Random(2);
    const all: IntTensor[][] = [];
    for (let i = 0; i < DISPUTES; i++) {
      const inputs = randomInputs(model, rng);
      const { outputs } = await traced.run(inputs);
      const receipt = await signReceipt(
        onDemandReceipt(model, inputs, outputs, node.address, BigInt(i + 1)),
        node,
        domain,
      );
      await claimer.add(receipt, { model, inputs });
      all.push(inputs);
    }
    await claimer.flush();
    const { claimId } = claimer.batches()[0]!;
    const receipts = claimer.receiptsOf(claimId!)!;
    const batch = new ReceiptBatch(receipts, domain);
    const defender = await Defender.open({
      client,
      account: node,
      addresses: f.at,
      models,
      traces: claimer.traces,
      dir: join(dir, 'defender'),
      onDemand: { claimer, backend: () => traced },
    });
    await defender.poll(); // the first scan of the chain, before any dispute
    const firstMove: number[] = [];
    const rebuild: number[] = [];
    for (let i = 0; i < DISPUTES; i++) {
      const disputeId = await openDispute(f, challenger, claimId!, batch, i);
      const ctx = { h: client, game: f.at.disputeGame, disputeId, arity: Number(DEV_PARAMETERS.arity) };
      const opened = performance.now();
      while ((await readGame(ctx)).phase === Phase.AwaitTrace) await defender.poll();
      firstMove.push(performance.now() - opened);
      rebuild.push(defender.defences.get(disputeId)!.rebuildMs!);
      const truth = await honestView(model, all[i]!);
      const honest = new DisputePlayer({
        client,
        account: challenger,
        game: f.at.disputeGame,
        disputeId,
        role: 'challenger',
        view: truth,
      });
      for (let moves = 0; moves < 400 && defender.open > 0; moves++) {
        await honest.step();
        await defender.poll();
      }
    }
    return {
      'open → commitTrace median ms': median(firstMove).toFixed(0),
      'of which rebuild ms': median(rebuild).toFixed(0),
    };
  } finally {
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function onDemandTraces(): Promise<void> {
  const rng = new Random(3);
  const size = LARGE_CNN_INPUT.reduce((a, b) => a * b, 1);
  const large = importOnnx(largeCnnOnnx(), {
    calibration: Array.from({ length: 8 }, () => [Float32Array.from({ length: size }, () => rng.next())]),
    batchSize: 1,
    label: 'large-cnn',
  }).model;
  const models: [string, Model][] = [
    ['mnist-cnn', importMnistModel('cnn').model],
    ['large-cnn', large],
  ];
  const only = process.env.STOA_BENCH_MODELS?.split(',');
  const rows: Record<string, string | number>[] = [];
  for (const [name, model] of models.filter(([n]) => !only || only.includes(n))) {
    console.error(`measuring ${name}...`);
    const traced = await createOnnxRuntimeBackend(model);
    rows.push({
      ...(await rebuildThroughput(name, model, traced)),
      ...(await timeToFirstMove(model, traced)),
    });
    await traced.close();
  }
  printTable(rows);
  console.log(
    '\nrebuild = re-executing an on-demand receipt from its inputs on the traced onnxruntime backend, with its trace commitments, checked against the receipt (what a node does when a dispute opens)',
  );
  console.log(
    `open → commitTrace = the open transaction mined to the node's commitTrace mined, Defender.poll on anvil (median of ${DISPUTES}); a running node adds up to one STOA_POLL_MS`,
  );
}
