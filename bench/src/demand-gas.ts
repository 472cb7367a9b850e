/**
 * Gas of "reveal or lose" (issue 18): each demand a client or watcher can make of a node, the
 * node's answer, and `expire` when a node lets one lapse; and the demand bond those numbers
 * require. Sized like the challenge bond: a griefer demanding of an honest node must spend at
 * least TARGET_RATIO times what the node spends answering, at every gas price up to p_max.
 */
import {
  type ChainClient,
  chainClient,
  claimRegistryArtifact,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  type ExecutionView,
  emitted,
  type GameFixture,
  honestView,
  postClaim,
  receiptArg,
  setUpGame,
  signView,
  startAnvil,
} from '@stoa/contracts';
import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import {
  createModel,
  GraphBuilder,
  type IntTensor,
  type Model,
  quantizeInput,
  type SignedReceipt,
  tensorBytes,
  toHex,
} from '@stoa/ir';
import type { Hex } from 'viem';
import { printTable } from './measure.js';

const [deployer, node, client] = DEV_ACCOUNTS;
const abi = claimRegistryArtifact.abi;
const TARGET_RATIO = 6n;
const P_MAX_WEI = 500n * 10n ** 9n;
/** Receipts per measured claim: the proofs are this tree's depth (the claimer's default batch). */
const BATCH = 64;

/** The client, remembering the gas of every `post` (a claim). */
function recordingPosts(client: ChainClient, posts: bigint[]): ChainClient {
  return {
    ...client,
    async send(account, address, abi_, fn, args, value) {
      const sent = await client.send(account, address, abi_, fn, args, value);
      if (fn === 'post') posts.push(sent.receipt.gasUsed);
      return sent;
    },
  };
}

interface DemandGas {
  readonly kind: string;
  readonly demand: bigint;
  readonly answer: bigint;
  readonly expire: bigint;
}

async function gasOf(sent: Promise<{ receipt: { gasUsed: bigint } }>): Promise<bigint> {
  return (await sent).receipt.gasUsed;
}

/** A claim of BATCH receipts of one execution (distinct nonces), posted by the fixture's node. */
async function claimOf(f: GameFixture, view: ExecutionView, firstNonce: bigint) {
  const receipts: SignedReceipt[] = [];
  for (let i = 0n; i < BigInt(BATCH); i++) receipts.push(await signView(f, view, firstNonce + i));
  const posted = await postClaim(f, receipts);
  return { ...posted, receipts };
}

async function demand(f: GameFixture, fn: string, args: unknown[]) {
  const sent = await f.h.send(client, f.at.claimRegistry, abi, fn, args, f.parameters.demandBond);
  return {
    gas: sent.receipt.gasUsed,
    demandId: emitted(sent, f.at.claimRegistry, 'Demanded').demandId as bigint,
  };
}

/** Every demand kind answered once and let lapse once, on claims of `view`'s model. */
async function measureDemands(f: GameFixture, view: ExecutionView, inputs: Hex[]): Promise<DemandGas[]> {
  const send = (fn: string, args: unknown[]) => gasOf(f.h.send(node, f.at.claimRegistry, abi, fn, args));
  const expire = async (demandId: bigint, seconds: bigint) => {
    await f.h.advance(seconds + 1n);
    return gasOf(f.h.send(client, f.at.claimRegistry, abi, 'expire', [demandId]));
  };
  let nonce = 1n;
  const claim = async () => {
    const c = await claimOf(f, view, nonce);
    nonce += BigInt(BATCH);
    return c;
  };
  const index = BATCH - 1;
  const rows: DemandGas[] = [];

  // Inclusion: the client holds receipt `index`; the node shows it in its claim.
  let c = await claim();
  const r = c.receipts[index]!;
  let d = await demand(f, 'demandInclusion', [receiptArg(r), r.signature]);
  const inclusionAnswer = await send('answerInclusion', [
    d.demandId,
    c.claimId,
    index,
    r.signature,
    c.batch.proof(index),
  ]);
  const unclaimed = await signView(f, view, nonce++);
  const lapsed = await demand(f, 'demandInclusion', [receiptArg(unclaimed), unclaimed.signature]);
  rows.push({
    kind: 'inclusion',
    demand: d.gas,
    answer: inclusionAnswer,
    expire: await expire(lapsed.demandId, f.parameters.challengeWindow),
  });

  // Receipt: reveal leaf `index` of a claim.
  c = await claim();
  d = await demand(f, 'demandReceipt', [c.claimId, index]);
  const receiptAnswer = await send('answerReceipt', [
    d.demandId,
    receiptArg(c.receipts[index]!),
    c.receipts[index]!.signature,
    c.batch.proof(index),
  ]);
  const lapsedReceipt = await demand(f, 'demandReceipt', [c.claimId, 0]);
  rows.push({
    kind: 'receipt',
    demand: d.gas,
    answer: receiptAnswer,
    expire: await expire(lapsedReceipt.demandId, f.parameters.answerSeconds),
  });

  // Inputs: reveal the input bytes of receipt `index`, checked on chain against its inputDigest.
  c = await claim();
  const shown = [receiptArg(c.receipts[index]!), c.receipts[index]!.signature, c.batch.proof(index)];
  d = await demand(f, 'demandInputs', [c.claimId, index, ...shown]);
  const inputsAnswer = await send('answerInputs', [d.demandId, inputs]);
  c = await claim();
  const lapsedInputs = await demand(f, 'demandInputs', [
    c.claimId,
    index,
    receiptArg(c.receipts[index]!),
    c.receipts[index]!.signature,
    c.batch.proof(index),
  ]);
  rows.push({
    kind: `inputs (${inputs.reduce((a, t) => a + (t.length - 2) / 2, 0)} B)`,
    demand: d.gas,
    answer: inputsAnswer,
    expire: await expire(lapsedInputs.demandId, f.parameters.answerSeconds),
  });
  return rows;
}

/** A model whose one input is `bytes` int8 values: answerInputs' cost against input size. */
function wideModel(bytes: number): { model: Model; inputs: IntTensor[] } {
  const b = new GraphBuilder();
  const x = b.input('x', { dtype: 'i8', shape: [1, bytes], frac: 0 });
  b.output(b.op('Relu', [x]));
  const data = Int32Array.from({ length: bytes }, (_, i) => ((i * 37) % 255) - 127);
  return {
    model: createModel(b.build(), `wide-${bytes}`),
    inputs: [{ dtype: 'i8', shape: [1, bytes], data }],
  };
}

const inputHex = (model: Model, inputs: IntTensor[]) =>
  inputs.map((t, i) => toHex(tensorBytes(model.graph.nodeTypes[model.graph.inputs[i]!]!.dtype, t.data)));

/** B ≥ (ratio · G_answer − G_demand) · p_max: a griefing demand costs ≥ ratio × the honest answer. */
export function demandBondNeeded(
  demandGas: bigint,
  answerGas: bigint,
  ratio = TARGET_RATIO,
  pMaxWei = P_MAX_WEI,
) {
  const need = (ratio * answerGas - demandGas) * pMaxWei;
  return need > 0n ? need : 0n;
}

export async function demandGas(): Promise<void> {
  const chain = await startAnvil();
  try {
    const posts: bigint[] = [];
    const h = recordingPosts(chainClient(chain.rpcUrl), posts);
    const { model } = importMnistModel('cnn');
    const test = loadMnist('test');
    const mnistInputs = [quantizeInput(model.graph, 0, test.images.subarray(0, 784))];
    const cases: { name: string; model: Model; inputs: IntTensor[] }[] = [
      { name: 'MNIST CNN', model, inputs: mnistInputs },
      ...[4096, 16384].map((n) => ({ name: `int8[${n}] → Relu`, ...wideModel(n) })),
    ];
    const rows = [];
    const row = (name: string, g: DemandGas) => ({
      model: name,
      demand: g.kind,
      'demand gas': g.demand.toString(),
      'answer gas': g.answer.toString(),
      'expire gas': g.expire.toString(),
      'bond for ≥ 6 at 500 gwei (ETH)': (Number(demandBondNeeded(g.demand, g.answer)) / 1e18).toFixed(4),
      'ratio at 500 gwei, deployed bond': (
        Number(DEV_PARAMETERS.demandBond + g.demand * P_MAX_WEI) / Number(g.answer * P_MAX_WEI)
      ).toFixed(2),
    });
    for (const c of cases) {
      const f = await setUpGame(chain, h, deployer, node, c.model, DEV_PARAMETERS);
      const view = await honestView(c.model, c.inputs);
      const measured = await measureDemands(f, view, inputHex(c.model, c.inputs));
      for (const g of measured)
        if (c.name === 'MNIST CNN' || g.kind.startsWith('inputs')) rows.push(row(c.name, g));
      if (c.name !== 'MNIST CNN') continue;
      // A demanded receipt still pending: the node posts its batch early, then answers.
      const post = posts.reduce((a, g) => (g > a ? g : a), 0n);
      const inclusion = measured[0]!;
      rows.push(
        row(c.name, {
          ...inclusion,
          kind: `inclusion + early post (${post})`,
          answer: inclusion.answer + post,
        }),
      );
    }
    console.log(
      `Demands on claims of ${BATCH} receipts (proof depth ${Math.log2(BATCH)}), deployed demandBond = ${DEV_PARAMETERS.demandBond} wei:\n`,
    );
    printTable(rows);
    console.log(
      '\nratio(p) = (demandBond + G_demand·p) / (G_answer·p); bond needed = (6·G_answer − G_demand)·500 gwei',
    );
  } finally {
    await chain.stop();
  }
}
