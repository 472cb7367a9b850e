/**
 * Must-show 1 of issue 18: a seeded adversarial simulation on a real anvil chain. An honest node,
 * a cheating node with a sock account, griefers and a watcher act at random — floods of
 * requests, concurrent disputes up to the bound, self-disputes, front-running, duplicates, wrong
 * counts, withheld or malformed data, clock edges — and after every block the invariants hold:
 * the honest node is never slashed, no claim holding a wrong receipt (or withheld data) is ever
 * finalized, and every contract's ether is exactly what it owes (solvency). At the end every
 * such claim has been rejected.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  challengerFromView,
  claimRegistryArtifact,
  DEV_PARAMETERS,
  disputeGameArtifact,
  type ExecutionView,
  ensureRegistration,
  type GameFixture,
  HashTree,
  type LocalChain,
  modelCommitments,
  openDispute,
  type ProtocolParameters,
  perturbStep,
  ReceiptBatch,
  receiptArg,
  signView,
  stakeManagerArtifact,
  startAnvil,
  tamperedView,
} from '@stoa/contracts';
import { fromHex, type IntTensor, Random, type SignedReceipt } from '@stoa/ir';
import { type Address, type Hex, parseEther } from 'viem';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Claimer } from '../claimer.js';
import { Defender } from '../defender.js';
import { DemandAnswerer } from '../demands.js';
import { DisputePlayer } from '../player.js';
import { storedInputs } from '../testing/network.js';
import { Watcher } from '../watcher.js';
import { anvilAccount, honestReceipt, resign, smallGame } from './helpers.js';

const SEED = Number(process.env.STOA_SIM_SEED ?? 18);
const STEPS = Number(process.env.STOA_SIM_STEPS ?? 40);
const PARAMETERS: ProtocolParameters = {
  ...DEV_PARAMETERS,
  challengeWindow: 600n,
  clockSeconds: 60n,
  answerSeconds: 120n,
  maxOpenDisputes: 4n, // the documented bound, small so that the simulation reaches it
};

const honestNode = anvilAccount(1);
const watcherAccount = anvilAccount(2);
const cheater = anvilAccount(3);
const sock = anvilAccount(4);
const griefers = [5, 6, 7].map(anvilAccount);
const parties = [anvilAccount(0), honestNode, watcherAccount, cheater, sock, ...griefers].map(
  (a) => a.address,
);

/** What the run reached, printed at the end (e.g. whether the bound on open disputes was hit). */
const seen = { maxOpen: 0, actions: {} as Record<string, number> };

type Behaviour = 'serve' | 'withhold-inputs' | 'withhold-list' | 'malformed';

let chain: LocalChain;
let dir: string;

beforeAll(async () => {
  chain = await startAnvil();
  dir = await mkdtemp(join(tmpdir(), 'stoa-sim-'));
});
afterAll(async () => {
  await chain?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Reads at one block, so that invariants are checked block by block. */
function reader(f: GameFixture, blockNumber: bigint) {
  return (address: Address, abi: readonly unknown[], functionName: string, args: unknown[] = []) =>
    f.h.reader.readContract({ address, abi, functionName, args, blockNumber } as never) as Promise<unknown>;
}

async function checkInvariants(f: GameFixture, b: bigint, honestStake: bigint, mustReject: Set<bigint>) {
  const read = reader(f, b);
  const balance = (address: Address) => f.h.reader.getBalance({ address, blockNumber: b });
  const sm = stakeManagerArtifact.abi;
  const cr = claimRegistryArtifact.abi;
  const dg = disputeGameArtifact.abi;
  // 1. The honest node is never slashed.
  const [bonded, unbonding] = (await read(f.at.stakeManager, sm, 'accounts', [
    honestNode.address,
  ])) as bigint[];
  expect(bonded! + unbonding!, `honest stake at block ${b}`).toBe(honestStake);
  // 2. Solvency: each contract holds exactly what it owes.
  let owed = (await read(f.at.stakeManager, sm, 'burned')) as bigint;
  for (const who of parties) {
    const [bo, un] = (await read(f.at.stakeManager, sm, 'accounts', [who])) as bigint[];
    const [, reward] = (await read(f.at.stakeManager, sm, 'rewards', [who])) as bigint[];
    owed += bo! + un! + reward!;
  }
  expect(await balance(f.at.stakeManager), `stake manager solvency at block ${b}`).toBe(owed);
  owed = 0n;
  const claims = (await read(f.at.claimRegistry, cr, 'claimCount')) as bigint;
  for (let id = 1n; id <= claims; id++) {
    const claim = (await read(f.at.claimRegistry, cr, 'get', [id])) as {
      status: number;
      bond: bigint;
      openDisputes: number;
    };
    if (claim.status === 1) owed += claim.bond;
    if (claim.openDisputes > seen.maxOpen) seen.maxOpen = claim.openDisputes;
    // 3. No claim holding a wrong receipt or withheld data is ever finalized.
    if (mustReject.has(id)) expect(claim.status, `bad claim ${id} at block ${b}`).not.toBe(2);
  }
  const demands = (await read(f.at.claimRegistry, cr, 'demandCount')) as bigint;
  for (let id = 1n; id <= demands; id++) {
    const d = (await read(f.at.claimRegistry, cr, 'getDemand', [id])) as { settled: boolean; bond: bigint };
    if (!d.settled) owed += d.bond;
  }
  for (const who of parties) owed += (await read(f.at.claimRegistry, cr, 'credit', [who])) as bigint;
  expect(await balance(f.at.claimRegistry), `claim registry solvency at block ${b}`).toBe(owed);
  owed = 0n;
  const disputes = (await read(f.at.disputeGame, dg, 'disputeCount')) as bigint;
  for (let id = 1n; id <= disputes; id++) {
    const d = (await read(f.at.disputeGame, dg, 'get', [id])) as { phase: number; bond: bigint };
    if (d.phase !== 11) owed += d.bond; // not Resolved
  }
  for (const who of parties) owed += (await read(f.at.disputeGame, dg, 'credit', [who])) as bigint;
  expect(await balance(f.at.disputeGame), `dispute game solvency at block ${b}`).toBe(owed);
}

describe(`adversarial simulation (issue 18, must-show 1), seed ${SEED}`, () => {
  it(`${STEPS} random steps: the honest node is never slashed, every bad claim is rejected, the ether adds up`, async () => {
    const rng = new Random(SEED);
    const f = await smallGame(chain, honestNode, PARAMETERS);
    const fc = { ...f, node: cheater };
    await ensureRegistration(f.h, f.at, cheater, f.model);
    await f.h.send(cheater, f.at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('50'));
    const honestStake = parseEther('5');
    const domain = { chainId: foundry.id, verifyingContract: f.at.claimRegistry };
    const models = () => f.model;

    const open = (name: string, account: typeof honestNode) =>
      Claimer.open({
        dir: join(dir, name),
        client: f.h,
        account,
        addresses: f.at,
        batchSize: 2,
        maxBatchAgeMs: 0,
      });
    const hClaimer = await open('honest', honestNode);
    const cClaimer = await open('cheater', cheater);
    const defender = (name: string, account: typeof honestNode, claimer: Claimer) =>
      Defender.open({
        client: f.h,
        account,
        addresses: f.at,
        models,
        traces: claimer.traces,
        dir: join(dir, name),
      });
    const hDefender = await defender('honest-defender', honestNode, hClaimer);
    const cDefender = await defender('cheater-defender', cheater, cClaimer);
    const hDemands = new DemandAnswerer({
      client: f.h,
      account: honestNode,
      addresses: f.at,
      claimer: hClaimer,
      models,
    });

    // What the cheater serves for each of its claims, and what must end up rejected.
    const cheaterLists = new Map<bigint, { receipts: SignedReceipt[]; behaviour: Behaviour }>();
    const mustReject = new Set<bigint>();
    const views = new Map<string, ExecutionView>();
    const watcher = await Watcher.open({
      client: f.h,
      account: watcherAccount,
      addresses: f.at,
      models,
      sampleRate: 1,
      seed: `sim-${SEED}`,
      dir: join(dir, 'watcher'),
      answerTimeoutMs: 200,
      source: {
        async receipts(claimId) {
          const c = cheaterLists.get(claimId);
          if (!c) return hClaimer.receiptsOf(claimId) ?? cClaimer.receiptsOf(claimId);
          if (c.behaviour === 'withhold-list') return undefined;
          if (c.behaviour === 'malformed') return [{ nonsense: true }] as never;
          return c.receipts;
        },
        async inputs(receipt): Promise<IntTensor[] | undefined> {
          const c = [...cheaterLists.values()].find((l) => l.receipts.includes(receipt));
          if (c?.behaviour === 'withhold-inputs') return undefined;
          const owner = receipt.node.toLowerCase() === honestNode.address.toLowerCase() ? hClaimer : cClaimer;
          return storedInputs(owner.traces, f.model, receipt);
        },
      },
    });
    const players: DisputePlayer[] = [];
    let nonce = 100n;

    const postRaw = async (root: Hex, count: number) => {
      const sent = await f.h.send(
        cheater,
        f.at.claimRegistry,
        claimRegistryArtifact.abi,
        'post',
        [modelCommitments(f.model).modelId, root, count],
        PARAMETERS.claimBond,
      );
      return sent.events.find((e) => e.eventName === 'ClaimPosted')!.args.claimId as bigint;
    };
    const cheaterReceipt = async () => (await honestReceipt(fc, ++nonce)).receipt;

    /** A griefer disputes a correct receipt of the honest node and plays at random. */
    const openHonestClaims = () =>
      hClaimer.batches().filter((b) => b.status === 'posted' && b.claimId !== undefined);
    const griefOnce = async (target?: ReturnType<typeof openHonestClaims>[number]): Promise<boolean> => {
      const open = openHonestClaims();
      if (open.length === 0) return false;
      const b = target ?? open[rng.int(0, open.length - 1)]!;
      const g = griefers[rng.int(0, griefers.length - 1)]!;
      const index = rng.int(0, b.receipts.length - 1);
      const batch = new ReceiptBatch(b.receipts, domain);
      const disputeId = await openDispute(f, g, b.claimId!, batch, index).catch(() => undefined);
      if (disputeId === undefined) return false; // window closed, or the claim is full (the bound)
      const view = views.get(b.receipts[index]!.traceRoot)!;
      players.push(
        new DisputePlayer({
          client: f.h,
          account: g,
          game: f.at.disputeGame,
          disputeId,
          role: 'challenger',
          view,
          strategy: challengerFromView(g, view, { random: new Random(rng.int(1, 1e9)) }),
        }),
      );
      return true;
    };
    const actions: Record<string, () => Promise<void>> = {
      async request() {
        // A flood of honest requests: the claimer batches and posts them.
        for (let i = rng.int(1, 3); i > 0; i--) {
          const { view, receipt } = await honestReceipt(f, ++nonce);
          views.set(receipt.traceRoot, view);
          await hClaimer.add(receipt, view);
        }
      },
      async wrongOutput() {
        const { view } = await honestReceipt(fc, ++nonce);
        const liar = tamperedView(view, perturbStep(rng.int(0, f.model.schedule.length - 1), 0, 1));
        const receipt = await signView(fc, liar, nonce);
        const before = new Set(cClaimer.batches().map((b) => b.claimId));
        await cClaimer.add(receipt, liar);
        await cClaimer.flush();
        const claimId = cClaimer.batches().find((b) => !before.has(b.claimId))?.claimId;
        if (claimId === undefined) return;
        const behaviour: Behaviour = rng.next() < 0.3 ? 'withhold-inputs' : 'serve';
        cheaterLists.set(claimId, { receipts: [...cClaimer.receiptsOf(claimId)!], behaviour });
        mustReject.add(claimId);
        if (rng.next() < 0.4) {
          // Front-running: the sock opens first and then stalls, hoping to shield the claim.
          const batch = new ReceiptBatch(cClaimer.receiptsOf(claimId)!, domain);
          await openDispute(f, sock, claimId, batch, 0).catch(() => {});
        }
      },
      async duplicate() {
        const r = await cheaterReceipt();
        // Half the time the copy is re-signed (another valid signature): a different leaf.
        const copy = rng.next() < 0.5 ? await resign(r, cheater, domain) : r;
        const claimId = await postRaw(new ReceiptBatch([r, copy], domain).root, 2);
        cheaterLists.set(claimId, { receipts: [r, copy], behaviour: 'serve' });
        mustReject.add(claimId);
      },
      async wrongCount() {
        const r = await cheaterReceipt();
        const leaf = new ReceiptBatch([r], domain).leaf(0);
        const claimId = await postRaw(new HashTree([fromHex(leaf)], 2).root, 3);
        cheaterLists.set(claimId, { receipts: [r], behaviour: 'serve' });
        mustReject.add(claimId);
      },
      async withhold() {
        const r = await cheaterReceipt();
        const claimId = await postRaw(new ReceiptBatch([r], domain).root, 1);
        cheaterLists.set(claimId, {
          receipts: [r],
          behaviour: rng.next() < 0.5 ? 'withhold-list' : 'malformed',
        });
        mustReject.add(claimId);
      },
      async selfDispute() {
        const r = await cheaterReceipt();
        const bad = { ...r, signature: `${r.signature.slice(0, -2)}1d` as Hex };
        const batch = new ReceiptBatch([bad], domain);
        const claimId = await postRaw(batch.root, 1);
        cheaterLists.set(claimId, { receipts: [bad], behaviour: 'serve' });
        mustReject.add(claimId);
        await openDispute(f, sock, claimId, batch, 0);
      },
      async grief() {
        await griefOnce();
      },
      async demandHonest() {
        // Reveal-or-lose aimed at the honest node: it must answer, and is never slashed.
        const open = openHonestClaims();
        const b = open[rng.int(0, Math.max(0, open.length - 1))];
        if (!b) return;
        const g = griefers[rng.int(0, griefers.length - 1)]!;
        const index = rng.int(0, b.receipts.length - 1);
        const r = b.receipts[index]!;
        const batch = new ReceiptBatch(b.receipts, domain);
        const args =
          rng.next() < 0.5
            ? ['demandReceipt', [b.claimId, index]]
            : ['demandInputs', [b.claimId, index, receiptArg(r), r.signature, batch.proof(index)]];
        await f.h
          .send(
            g,
            f.at.claimRegistry,
            claimRegistryArtifact.abi,
            args[0] as string,
            args[1] as unknown[],
            PARAMETERS.demandBond,
          )
          .catch(() => {}); // window closed, or the claim is full
      },
      async swarm() {
        // Concurrent disputes on one honest claim up to the bound: the last open must revert.
        const open = openHonestClaims();
        const target = open[rng.int(0, open.length - 1)];
        if (!target) return;
        for (let i = 0; i < Number(PARAMETERS.maxOpenDisputes) + 1; i++)
          if (!(await griefOnce(target))) break;
      },
      async time() {
        const clock = Number(PARAMETERS.clockSeconds);
        const edges = [1, clock - 1, clock, clock + 1, Number(PARAMETERS.answerSeconds) + 1, 200];
        await advance(BigInt(edges[rng.int(0, edges.length - 1)]!));
      },
    };
    const names = Object.keys(actions);

    /**
     * The chain's clock jumps only once every honest party has made the moves it has: an honest
     * party answers within seconds, so the clock edges are tried on the adversaries' clocks.
     */
    const honestToMove = async () => {
      const count = (await f.h.read(f.at.disputeGame, disputeGameArtifact.abi, 'disputeCount')) as bigint;
      for (let id = 1n; id <= count; id++) {
        const d = (await f.h.read(f.at.disputeGame, disputeGameArtifact.abi, 'get', [id])) as {
          phase: number;
        };
        if (d.phase === 11) continue;
        const [mover] = (await f.h.read(f.at.disputeGame, disputeGameArtifact.abi, 'toMove', [id])) as [
          Address,
        ];
        if ([honestNode.address, watcherAccount.address].includes(mover)) return true;
      }
      return false;
    };
    const advance = async (seconds: bigint) => {
      for (let i = 0; i < 20 && (await honestToMove()); i++) {
        await everyone();
        await checkNewBlocks();
      }
      await f.h.advance(seconds);
    };

    let checked = await f.h.reader.getBlockNumber();
    const checkNewBlocks = async () => {
      const latest = await f.h.reader.getBlockNumber();
      for (let b = checked + 1n; b <= latest; b++) await checkInvariants(f, b, honestStake, mustReject);
      checked = latest;
    };
    const everyone = async () => {
      await hClaimer.tick();
      await hDemands.poll();
      await Promise.all([hDefender.poll(), cDefender.poll()]);
      await watcher.poll();
      await Promise.all(players.map((p) => p.step().catch(() => undefined)));
      const [bonded] = (await f.h.read(f.at.stakeManager, stakeManagerArtifact.abi, 'accounts', [
        cheater.address,
      ])) as bigint[];
      if (bonded! < 3n * PARAMETERS.slashAmount)
        await f.h.send(cheater, f.at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('20'));
    };

    await checkInvariants(f, checked, honestStake, mustReject);
    for (let step = 0; step < STEPS; step++) {
      const name = names[rng.int(0, names.length - 1)]!;
      seen.actions[name] = (seen.actions[name] ?? 0) + 1;
      await actions[name]!();
      await everyone();
      await checkNewBlocks();
    }
    // Let every game, demand and window run out, moving the clock as parties wait.
    for (let round = 0; round < 120; round++) {
      await everyone();
      await checkNewBlocks();
      const pending = await pendingClaims(f);
      if (pending.length === 0) break;
      await advance(PARAMETERS.clockSeconds + 1n);
      await checkNewBlocks();
    }
    for (const claimId of mustReject) {
      const claim = (await f.h.read(f.at.claimRegistry, claimRegistryArtifact.abi, 'get', [claimId])) as {
        status: number;
      };
      expect(claim.status, `bad claim ${claimId}`).toBe(3); // Rejected
    }
    expect(mustReject.size).toBeGreaterThan(0);
    console.log(
      `simulation seed ${SEED}: ${STEPS} steps, ${checked} blocks checked, ${mustReject.size} bad claims rejected, ` +
        `${hClaimer.batchCount} honest claims, ${hDefender.defences.size} disputes defended, ` +
        `${hDemands.answered.size} demands answered by the honest node, ` +
        `at most ${seen.maxOpen} open on one claim (bound ${PARAMETERS.maxOpenDisputes}), actions ${JSON.stringify(seen.actions)}`,
    );
  }, 900_000);
});

/** Claims still pending (finalizing honest ones as their windows close). */
async function pendingClaims(f: GameFixture): Promise<bigint[]> {
  const count = (await f.h.read(f.at.claimRegistry, claimRegistryArtifact.abi, 'claimCount')) as bigint;
  const pending: bigint[] = [];
  for (let id = 1n; id <= count; id++) {
    const claim = (await f.h.read(f.at.claimRegistry, claimRegistryArtifact.abi, 'get', [id])) as {
      status: number;
    };
    if (claim.status === 1) pending.push(id);
  }
  return pending;
}
