import { execute, Random, randomGraph, type SignedReceipt } from '@stoa/ir';
import { type Address, type Hex, parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from '../anvil.js';
import {
  claimRegistryArtifact,
  feeEscrowArtifact,
  modelRegistryArtifact,
  stakeManagerArtifact,
} from '../artifacts.generated.js';
import { DEV_PARAMETERS, deployStoa, type StoaAddresses } from '../deploy.js';
import { ReceiptBatch, receiptDigest } from '../game/batch.js';
import { emitted } from '../game/client.js';
import { modelCommitments, registerArgs } from '../game/commitments.js';
import { chainHarness, DEV_ACCOUNTS } from '../testing/harness.js';
import { MAX_SETTLE_RECEIPTS, settleClaim } from './settle.js';
import { settlementLeaves, signVoucher } from './voucher.js';

const [owner, node, watcher] = DEV_ACCOUNTS;
/** The gateway's voucher key: it only signs, so it needs no funds. */
const gateway = privateKeyToAccount(generatePrivateKey());
const forger = privateKeyToAccount(generatePrivateKey());
const escrowAbi = feeEscrowArtifact.abi;
const claimsAbi = claimRegistryArtifact.abi;
const PRICE = 10n ** 15n;
const CAP_RECEIPTS = 14n;
/** Rounds of the random sequence (STOA_FEES_ROUNDS; short in CI). */
const ROUNDS = Number(process.env.STOA_FEES_ROUNDS ?? 8);

let chain: LocalChain;
let h: ReturnType<typeof chainHarness>;
let at: StoaAddresses;
let escrow: Address;
let deploymentId: bigint;
let modelId: Hex;
const vouchers = new Map<Hex, Hex>();
/** What the escrow must have paid: the ghost state the chain is checked against. */
const expected = { paidReceipts: new Set<Hex>(), nodeReceived: 0n, funded: 0n, withdrawn: 0n };

const receiptDomain = () => ({ chainId: chain.chainId, verifyingContract: at.claimRegistry });
const digestOf = (r: SignedReceipt) => receiptDigest(r, receiptDomain());

interface DeploymentState {
  paid: bigint;
  available: bigint;
  reserved: bigint;
  cap: bigint;
}
const deployment = async () => (await h.read(escrow, escrowAbi, 'get', [deploymentId])) as DeploymentState;

/** Solvency and the cap, checked after every step: the escrow holds exactly what it owes. */
async function assertInvariants() {
  const d = await deployment();
  expect(await h.reader.getBalance({ address: escrow })).toBe(d.available + d.reserved);
  expect(d.paid).toBeLessThanOrEqual(d.cap);
  expect(d.paid).toBe(expected.nodeReceived);
  expect(d.paid).toBe(BigInt(expected.paidReceipts.size) * PRICE);
  expect(d.available + d.reserved + d.paid + expected.withdrawn).toBe(expected.funded);
  for (const digest of expected.paidReceipts)
    expect(await h.read(escrow, escrowAbi, 'paidReceipt', [digest])).toBe(true);
}

async function step<T>(action: () => Promise<T>): Promise<T> {
  const result = await action();
  await assertInvariants();
  return result;
}

let nextNonce = 1n;
let firstBatch: SignedReceipt[] = [];
let served: ReturnType<typeof randomGraph>;
/** Real receipts: traced executions of the registered model, signed by the node. */
async function freshReceipts(count: number, vouched: boolean): Promise<SignedReceipt[]> {
  const out: SignedReceipt[] = [];
  for (let i = 0; i < count; i++) {
    const sign = { account: node, domain: receiptDomain(), nonce: nextNonce++ };
    out.push((await execute(served.model, served.inputs, { sign })).receipt!);
  }
  if (vouched)
    for (const r of out) vouchers.set(digestOf(r), await signVoucher(gateway, digestOf(r), voucherDomain()));
  return out;
}
const voucherDomain = () => ({ chainId: chain.chainId, verifyingContract: escrow });

async function postClaim(batch: SignedReceipt[]): Promise<bigint> {
  const root = new ReceiptBatch(batch, receiptDomain()).root;
  const posted = await h.send(
    node,
    at.claimRegistry,
    claimsAbi,
    'post',
    [modelId, root, batch.length],
    DEV_PARAMETERS.claimBond,
  );
  return emitted(posted, at.claimRegistry, 'ClaimPosted').claimId as bigint;
}

/** Settles a claim; `shouldPay` (the receipts the escrow must pay) enters the ghost state. */
async function settle(claimId: bigint, batch: SignedReceipt[], shouldPay: SignedReceipt[]) {
  const before = await h.reader.getBalance({ address: node.address });
  const sent = await h.send(watcher, escrow, escrowAbi, 'settle', [
    deploymentId,
    claimId,
    settlementLeaves(batch, receiptDomain(), vouchers),
  ]);
  const received = (await h.reader.getBalance({ address: node.address })) - before;
  for (const r of shouldPay) expected.paidReceipts.add(digestOf(r));
  expected.nodeReceived += received;
  return { received, gas: sent.receipt.gasUsed, event: emitted(sent, escrow, 'Settled') };
}

beforeAll(async () => {
  chain = await startAnvil();
  h = chainHarness(chain);
  at = await deployStoa({ rpcUrl: chain.rpcUrl, account: owner, chain: foundry });
  escrow = await h.deploy(owner, feeEscrowArtifact, [at.claimRegistry]);
  served = randomGraph(12);
  const commitments = modelCommitments(served.model);
  modelId = commitments.modelId;
  await h.send(node, at.modelRegistry, modelRegistryArtifact.abi, 'register', registerArgs(commitments));
  await h.send(node, at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('5'));
});
afterAll(async () => {
  await chain?.stop();
});

const finalizeAll = async (...claimIds: bigint[]) => {
  await h.advance(DEV_PARAMETERS.challengeWindow);
  for (const id of claimIds) await h.send(watcher, at.claimRegistry, claimsAbi, 'finalize', [id]);
};

describe('FeeEscrow on anvil: nodes paid per finalized, vouched receipt', () => {
  it('opens a deployment with a price and a cap (the defineModel budget), funded past the cap', async () => {
    await h
      .reverts(owner, escrow, escrowAbi, 'open', [modelId, gateway.address, 0n, PRICE])
      .toThrow(/ZeroPrice/);
    await h
      .reverts(owner, escrow, escrowAbi, 'open', [modelId, gateway.address, PRICE, PRICE - 1n])
      .toThrow(/CapBelowPrice/);
    const funding = PRICE * (CAP_RECEIPTS + 6n);
    const opened = await h.send(
      owner,
      escrow,
      escrowAbi,
      'open',
      [modelId, gateway.address, PRICE, PRICE * CAP_RECEIPTS],
      funding,
    );
    deploymentId = emitted(opened, escrow, 'DeploymentOpened').deploymentId as bigint;
    expected.funded = funding;
    await assertInvariants();
  });

  it('pays an honest node exactly once per finalized receipt, in one transaction per claim', async () => {
    const batch = await freshReceipts(4, true);
    const claimId = await step(() => postClaim(batch));
    await step(() => h.send(watcher, escrow, escrowAbi, 'reserve', [deploymentId, claimId]));
    expect((await deployment()).reserved).toBe(4n * PRICE);
    await h
      .reverts(watcher, escrow, escrowAbi, 'settle', [
        deploymentId,
        claimId,
        settlementLeaves(batch, receiptDomain(), vouchers),
      ])
      .toThrow(/NotFinalized/);
    await h
      .reverts(owner, escrow, escrowAbi, 'withdraw', [deploymentId, PRICE * 17n])
      .toThrow(/Insufficient/);
    await step(() => finalizeAll(claimId));
    // The leaves must be the claim's, all of them, in order.
    const leaves = settlementLeaves(batch, receiptDomain(), vouchers);
    await h
      .reverts(watcher, escrow, escrowAbi, 'settle', [deploymentId, claimId, leaves.slice(1)])
      .toThrow(/WrongLeafCount/);
    await h
      .reverts(watcher, escrow, escrowAbi, 'settle', [
        deploymentId,
        claimId,
        [leaves[1], leaves[0], leaves[2], leaves[3]],
      ])
      .toThrow(/WrongRoot/);
    firstBatch = batch;
    const settled = await step(() => settle(claimId, batch, batch));
    expect(settled.received).toBe(4n * PRICE);
    expect(settled.event).toMatchObject({ claimed: 4n, paid: 4n });
    await h
      .reverts(watcher, escrow, escrowAbi, 'settle', [deploymentId, claimId, leaves])
      .toThrow(/AlreadySettled/);
  });

  it('pays nothing for a receipt already paid in another claim, nor for one no request stands behind', async () => {
    const honest = await freshReceipts(2, true);
    const fabricated = await freshReceipts(1, false); // the node signed it; no gateway did
    const forged = await freshReceipts(1, false);
    vouchers.set(digestOf(forged[0]!), await signVoucher(forger, digestOf(forged[0]!), voucherDomain()));
    // A receipt of the first, paid claim, claimed again: same digest, same signature.
    const batch = [firstBatch[0]!, ...honest, ...fabricated, ...forged];
    const claimId = await step(() => postClaim(batch));
    await step(() => finalizeAll(claimId));
    const settled = await step(() => settle(claimId, batch, honest));
    expect(settled.received).toBe(2n * PRICE);
    expect(settled.event).toMatchObject({ claimed: 5n, paid: 2n });
    expect(await h.read(escrow, escrowAbi, 'paidReceipt', [digestOf(fabricated[0]!)])).toBe(false);
  });

  it('refunds the reservation of a claim that loses (a proven duplicate) and pays it nothing', async () => {
    const [r] = await freshReceipts(1, true);
    const batch = [r!, ...(await freshReceipts(2, true)), r!];
    const claimId = await step(() => postClaim(batch));
    await step(() => h.send(watcher, escrow, escrowAbi, 'reserve', [deploymentId, claimId]));
    const tree = new ReceiptBatch(batch, receiptDomain());
    const placement = (index: number) => ({
      claimId,
      index,
      signature: r!.signature,
      proof: tree.proof(index),
    });
    await step(() =>
      h.send(watcher, at.claimRegistry, claimsAbi, 'proveDuplicate', [
        digestOf(r!),
        placement(0),
        placement(3),
      ]),
    );
    await h.advance(DEV_PARAMETERS.challengeWindow);
    await h
      .reverts(watcher, escrow, escrowAbi, 'settle', [
        deploymentId,
        claimId,
        settlementLeaves(batch, receiptDomain(), vouchers),
      ])
      .toThrow(/NotFinalized/);
    const before = await deployment();
    await step(() => h.send(watcher, escrow, escrowAbi, 'refund', [claimId]));
    const after = await deployment();
    expect(after.available - before.available).toBe(4n * PRICE);
    expect(after.reserved).toBe(0n);
    expect(after.paid).toBe(before.paid);
    await h.reverts(watcher, escrow, escrowAbi, 'refund', [claimId]).toThrow(/AlreadySettled/);
  });

  it('never pays past the cap: a claim crossing it is paid up to the cap, the next one nothing', async () => {
    const paid = (await deployment()).paid / PRICE; // 6 of 14
    const batch = await freshReceipts(10, true);
    const next = await freshReceipts(2, true);
    const [crossing, after] = [await step(() => postClaim(batch)), await step(() => postClaim(next))];
    await step(() => finalizeAll(crossing, after));
    const s1 = await step(() => settle(crossing, batch, batch.slice(0, Number(CAP_RECEIPTS - paid))));
    expect(s1.received).toBe((CAP_RECEIPTS - paid) * PRICE);
    const s2 = await step(() => settle(after, next, []));
    expect(s2.received).toBe(0n);
    expect((await deployment()).paid).toBe(PRICE * CAP_RECEIPTS);
    // What the cap kept back stays the owner's, who may take it back.
    const { available } = await deployment();
    expect(available).toBe(6n * PRICE);
    await step(async () => {
      await h.send(owner, escrow, escrowAbi, 'withdraw', [deploymentId, available]);
      expected.withdrawn += available;
    });
    await h.reverts(watcher, escrow, escrowAbi, 'withdraw', [deploymentId, 0n]).toThrow(/NotOwner/);
  });

  it('keeps solvency, the cap and once-only payment through a random sequence of claims (invariant run)', async () => {
    // A fresh deployment of the same model; receipts paid under the first stay paid.
    const everPaid = new Set(expected.paidReceipts);
    const funding = PRICE * 40n;
    const opened = await h.send(
      owner,
      escrow,
      escrowAbi,
      'open',
      [modelId, gateway.address, PRICE, PRICE * 30n],
      funding,
    );
    deploymentId = emitted(opened, escrow, 'DeploymentOpened').deploymentId as bigint;
    Object.assign(expected, {
      paidReceipts: new Set<Hex>(),
      nodeReceived: 0n,
      funded: funding,
      withdrawn: 0n,
    });
    await h.send(node, at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('10'));
    await assertInvariants();
    const rng = new Random(19);
    const pool: SignedReceipt[] = []; // receipts seen so far, reused as duplicates
    for (let round = 0; round < ROUNDS; round++) {
      const batch = await freshReceipts(rng.int(1, 3), true);
      batch.push(...(await freshReceipts(rng.int(0, 1), false)));
      if (pool.length > 0 && rng.next() < 0.5) batch.push(pool[rng.int(0, pool.length - 1)]!);
      pool.push(...batch);
      const claimId = await step(() => postClaim(batch));
      if (rng.next() < 0.5)
        await step(() => h.send(watcher, escrow, escrowAbi, 'reserve', [deploymentId, claimId]));
      if (rng.next() < 0.25) {
        await step(() => rejectByLapsedDemand(claimId));
        continue;
      }
      await step(() => finalizeAll(claimId));
      const { paid, cap, reserved, available } = await deployment();
      const byCap = (cap - paid - reserved) / PRICE;
      let room = Number(byCap < available / PRICE ? byCap : available / PRICE);
      const reservedHere = (await h.read(escrow, escrowAbi, 'reservedReceipts', [claimId])) as bigint;
      if ((await h.read(escrow, escrowAbi, 'reservedFrom', [claimId])) !== 0n) room = Number(reservedHere);
      const shouldPay: SignedReceipt[] = [];
      for (const r of batch) {
        if (shouldPay.length >= room) break;
        if (vouchers.has(digestOf(r)) && !everPaid.has(digestOf(r))) {
          everPaid.add(digestOf(r));
          shouldPay.push(r);
        }
      }
      const { received } = await step(() => settle(claimId, batch, shouldPay));
      expect(received).toBe(BigInt(shouldPay.length) * PRICE);
      if (rng.next() < 0.3) {
        const amount = (await deployment()).available / 2n;
        await step(async () => {
          await h.send(owner, escrow, escrowAbi, 'withdraw', [deploymentId, amount]);
          expected.withdrawn += amount;
        });
      }
    }
  });
});

/** A claim that loses: its node lets a demand for one of its receipts lapse; then its refund. */
async function rejectByLapsedDemand(claimId: bigint) {
  await h.send(
    watcher,
    at.claimRegistry,
    claimsAbi,
    'demandReceipt',
    [claimId, 0],
    DEV_PARAMETERS.demandBond,
  );
  await h.advance(DEV_PARAMETERS.answerSeconds + 1n);
  const demandId = (await h.read(at.claimRegistry, claimsAbi, 'demandCount')) as bigint;
  await h.send(watcher, at.claimRegistry, claimsAbi, 'expire', [demandId]);
  if ((await h.read(escrow, escrowAbi, 'reservedFrom', [claimId])) !== 0n)
    await h.send(watcher, escrow, escrowAbi, 'refund', [claimId]);
}

describe('FeeEscrow on anvil: one settle a block', () => {
  it(`settles ${MAX_SETTLE_RECEIPTS} vouched receipts in one transaction under a 30M-gas block; refuses one more before sending`, async () => {
    const cap = PRICE * BigInt(MAX_SETTLE_RECEIPTS + 1);
    const opened = await h.send(
      owner,
      escrow,
      escrowAbi,
      'open',
      [modelId, gateway.address, PRICE, cap],
      cap,
    );
    const account = emitted(opened, escrow, 'DeploymentOpened').deploymentId as bigint;
    const batch = await freshReceipts(MAX_SETTLE_RECEIPTS + 1, true);
    const tooLarge = await postClaim(batch);
    const fits = await postClaim(batch.slice(0, MAX_SETTLE_RECEIPTS));
    await finalizeAll(tooLarge, fits);
    const settler = {
      client: h,
      account: watcher,
      escrow,
      escrowDeploymentId: account,
      receiptDomain: receiptDomain(),
    };
    await expect(settleClaim(settler, tooLarge, batch, vouchers)).rejects.toThrow(
      new RegExp(
        `claim ${tooLarge} has ${MAX_SETTLE_RECEIPTS + 1} receipts: one settle pays at most ${MAX_SETTLE_RECEIPTS}`,
      ),
    );
    expect(await h.read(escrow, escrowAbi, 'settled', [tooLarge])).toBe(false);
    const settled = await settleClaim(settler, fits, batch.slice(0, MAX_SETTLE_RECEIPTS), vouchers);
    expect(settled).toMatchObject({ claimed: MAX_SETTLE_RECEIPTS, paid: MAX_SETTLE_RECEIPTS });
    const block = await h.reader.getBlock();
    expect(block.gasLimit).toBe(30_000_000n);
    expect(settled.gasUsed).toBeLessThan((block.gasLimit * 4n) / 5n);
    console.log(`settle of ${MAX_SETTLE_RECEIPTS} receipts: ${settled.gasUsed} gas`);
    // Solvency over both accounts: the escrow holds what either may still pay or return.
    const accounts = await Promise.all(
      [deploymentId, account].map((id) => h.read(escrow, escrowAbi, 'get', [id]) as Promise<DeploymentState>),
    );
    expect(await h.reader.getBalance({ address: escrow })).toBe(
      accounts.reduce((sum, d) => sum + d.available + d.reserved, 0n),
    );
  }, 120_000);
});
