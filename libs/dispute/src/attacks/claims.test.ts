/**
 * Finding 7 of issue 18: the same receipt could appear twice in a claim and again in another; a
 * one-leaf tree could be claimed as a million receipts; a node could simply never claim a
 * receipt. Now each of these gets the node slashed on chain, and an honest node's engine
 * answers an inclusion demand by posting the receipt's batch.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bondedOf,
  claimRegistryArtifact,
  disputeGameArtifact,
  emitted,
  type GameFixture,
  HashTree,
  type LocalChain,
  modelCommitments,
  ReceiptBatch,
  receiptArg,
  stakeManagerArtifact,
  startAnvil,
} from '@stoa/contracts';
import { fromHex, type SignedReceipt } from '@stoa/ir';
import { type Hex, parseEther } from 'viem';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Claimer } from '../claimer.js';
import { DemandAnswerer } from '../demands.js';
import { anvilAccount, honestReceipt, resign, smallGame } from './helpers.js';

const abi = claimRegistryArtifact.abi;
const node = anvilAccount(1);
const client = anvilAccount(2);

let chain: LocalChain;
let f: GameFixture;
let nonce = 0n;

beforeAll(async () => {
  chain = await startAnvil();
  f = await smallGame(chain, node);
});
afterAll(async () => {
  await chain?.stop();
});

const domain = () => ({ chainId: foundry.id, verifyingContract: f.at.claimRegistry });
const receipt = async () => (await honestReceipt(f, ++nonce)).receipt;

/** Posts a claim with any root and count, as a cheating node may. */
async function post(root: Hex, count: number): Promise<bigint> {
  const sent = await f.h.send(
    node,
    f.at.claimRegistry,
    abi,
    'post',
    [modelCommitments(f.model).modelId, root, count],
    f.parameters.claimBond,
  );
  return emitted(sent, f.at.claimRegistry, 'ClaimPosted').claimId as bigint;
}
const status = async (claimId: bigint) =>
  ((await f.h.read(f.at.claimRegistry, abi, 'get', [claimId])) as { status: number }).status;

/** ClaimRegistry `Placement`: receipt `index` of `batch`, posted as claim `claimId`. */
const placement = (claimId: bigint, batch: ReceiptBatch, index: number) => ({
  claimId,
  index,
  signature: batch.receipts[index]!.signature,
  proof: batch.proof(index),
});

type Placement = ReturnType<typeof placement>;
const proveDuplicate = (digest: Hex, a: Placement, b: Placement) =>
  f.h.send(client, f.at.claimRegistry, abi, 'proveDuplicate', [digest, a, b]);

/** A client's demand that the node show the claim holding `r`; returns the demand's id. */
async function demandInclusion(r: SignedReceipt): Promise<bigint> {
  await f.h.send(
    client,
    f.at.claimRegistry,
    abi,
    'demandInclusion',
    [receiptArg(r), r.signature],
    f.parameters.demandBond,
  );
  return (await f.h.read(f.at.claimRegistry, abi, 'demandCount')) as bigint;
}

/** Runs `prove`, then checks that the node lost one slash and the claim was rejected. */
async function slashedFor(claimId: bigint, prove: () => Promise<unknown>): Promise<void> {
  const before = await bondedOf(f, node.address);
  await prove();
  expect(await bondedOf(f, node.address)).toBe(before - f.parameters.slashAmount);
  expect(await status(claimId)).toBe(3); // Rejected
}

describe('claims the chain holds a node to (issue 18, finding 7)', () => {
  it('the same receipt twice in one claim is slashed', async () => {
    const r = await receipt();
    const batch = new ReceiptBatch([r, r], domain());
    const claimId = await post(batch.root, 2);
    await slashedFor(claimId, () =>
      proveDuplicate(batch.digest(0), placement(claimId, batch, 0), placement(claimId, batch, 1)),
    );
  });

  it('the same receipt in two claims is slashed', async () => {
    const r = await receipt();
    const first = new ReceiptBatch([r], domain());
    const second = new ReceiptBatch([await receipt(), r], domain());
    const a = await post(first.root, 1);
    const b = await post(second.root, 2);
    await slashedFor(b, () =>
      proveDuplicate(first.digest(0), placement(a, first, 0), placement(b, second, 1)),
    );
  });

  it('a count its tree does not hold is slashed: padding below the count', async () => {
    const batch = new ReceiptBatch([await receipt(), await receipt()], domain());
    const tree = new HashTree([fromHex(batch.leaf(0)), fromHex(batch.leaf(1))], 2);
    const claimId = await post(tree.root, 3); // a tree of 4 slots, 2 used, claimed as 3
    await slashedFor(claimId, () =>
      f.h.send(client, f.at.claimRegistry, abi, 'proveWrongCount', [claimId, 2, tree.leaf(2), tree.proof(2)]),
    );
  });

  it('a one-leaf tree claimed as a million receipts: nothing can be opened in it, and a demand to reveal one lapses', async () => {
    const r = await receipt();
    const claimId = await post(new ReceiptBatch([r], domain()).root, 1_000_000);
    // A proof for a depth-0 tree does not open a claim of a million receipts.
    await expect(
      f.h.simulate(
        client,
        f.at.disputeGame,
        disputeGameArtifact.abi,
        'open',
        [claimId, receiptArg(r), r.signature, 0n, []],
        f.parameters.challengeBond,
      ),
    ).rejects.toThrow(/ReceiptNotInBatch/);
    const demand = (await f.h.read(f.at.claimRegistry, abi, 'demandCount')) as bigint;
    await f.h.send(
      client,
      f.at.claimRegistry,
      abi,
      'demandReceipt',
      [claimId, 999_999],
      f.parameters.demandBond,
    );
    await f.h.advance(f.parameters.answerSeconds + 1n);
    await slashedFor(claimId, () => f.h.send(client, f.at.claimRegistry, abi, 'expire', [demand + 1n]));
  });

  it('a receipt the node never claims: a client forces it on chain and the node is slashed when it lapses', async () => {
    const r = await receipt();
    const before = await bondedOf(f, node.address);
    const demandId = await demandInclusion(r);
    await f.h.advance(f.parameters.challengeWindow + 1n);
    await f.h.send(client, f.at.claimRegistry, abi, 'expire', [demandId]);
    expect(await bondedOf(f, node.address)).toBe(before - f.parameters.slashAmount);
  });

  it("an honest node's engine answers an inclusion demand by claiming the receipt", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stoa-demand-'));
    // The cheating node above was slashed five times: stake again, as a fresh honest node would.
    await f.h.send(node, f.at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('5'));
    try {
      const claimer = await Claimer.open({
        dir,
        client: f.h,
        account: node,
        addresses: f.at,
        batchSize: 100,
        maxBatchAgeMs: 3_600_000,
      });
      const { view, receipt: r } = await honestReceipt(f, ++nonce);
      await claimer.add(r, view);
      const answerer = new DemandAnswerer({
        client: f.h,
        account: node,
        addresses: f.at,
        claimer,
        models: () => f.model,
      });
      const demandId = await demandInclusion(r);
      await answerer.poll();
      expect(answerer.problems.get(demandId)).toBeUndefined();
      expect(await f.h.read(f.at.claimRegistry, abi, 'getDemand', [demandId])).toMatchObject({
        settled: true,
      });
      expect(claimer.pendingCount).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Equivocation (issue 18): one receipt has many valid signatures (ECDSA with any k), so leaves
 * of one receipt can differ; on the previous contract `proveDuplicate` compared leaves and a node
 * re-signing a receipt claimed it twice unprovably. A receipt is now its EIP-712 digest, for
 * duplicates and for inclusion demands. Two different receipts under one nonce are not a fault:
 * each is held to on its own (the last test).
 */
describe('equivocation: one receipt under two signatures, two receipts under one nonce', () => {
  beforeAll(async () => {
    await f.h.send(node, f.at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('5'));
  });

  it('the same receipt re-signed, in one claim or in two, is slashed as a duplicate', async () => {
    const r = await receipt();
    const again = await resign(r, node, domain());
    const one = new ReceiptBatch([r, again], domain());
    expect(one.leaf(0)).not.toBe(one.leaf(1));
    const claimId = await post(one.root, 2);
    await slashedFor(claimId, () =>
      proveDuplicate(one.digest(0), placement(claimId, one, 0), placement(claimId, one, 1)),
    );
    const first = new ReceiptBatch([r], domain());
    const second = new ReceiptBatch([await receipt(), again], domain());
    const a = await post(first.root, 1);
    const b = await post(second.root, 2);
    await slashedFor(b, () =>
      proveDuplicate(first.digest(0), placement(a, first, 0), placement(b, second, 1)),
    );
    // Two different receipts are no duplicate, whatever is claimed about them.
    const third = new ReceiptBatch([await receipt(), await receipt()], domain());
    const c = await post(third.root, 2);
    await expect(
      proveDuplicate(third.digest(0), placement(c, third, 0), placement(c, third, 1)),
    ).rejects.toThrow(/NotInClaim/);
  });

  it("an inclusion demand is answered by the claim holding the receipt under the node's other signature, never another's", async () => {
    const r = await receipt();
    const again = await resign(r, node, domain());
    const batch = new ReceiptBatch([again], domain());
    const claimId = await post(batch.root, 1);
    const demandId = await demandInclusion(r);
    const forged = await resign(r, client, domain());
    await expect(
      f.h.send(node, f.at.claimRegistry, abi, 'answerInclusion', [
        demandId,
        claimId,
        0,
        forged.signature,
        batch.proof(0),
      ]),
    ).rejects.toThrow(/WrongAnswer/);
    await f.h.send(node, f.at.claimRegistry, abi, 'answerInclusion', [
      demandId,
      claimId,
      0,
      again.signature,
      batch.proof(0),
    ]);
    expect(await f.h.read(f.at.claimRegistry, abi, 'getDemand', [demandId])).toMatchObject({ settled: true });
  });

  it('two receipts under one nonce: claiming one does not answer for the other a client holds', async () => {
    const n = ++nonce;
    const held = (await honestReceipt(f, n, 11)).receipt;
    const claimed = (await honestReceipt(f, n, 12)).receipt;
    expect(held.outputDigest === claimed.outputDigest && held.inputDigest === claimed.inputDigest).toBe(
      false,
    );
    const batch = new ReceiptBatch([claimed], domain());
    const claimId = await post(batch.root, 1);
    const demandId = await demandInclusion(held);
    await expect(
      f.h.send(node, f.at.claimRegistry, abi, 'answerInclusion', [
        demandId,
        claimId,
        0,
        claimed.signature,
        batch.proof(0),
      ]),
    ).rejects.toThrow(/WrongAnswer/); // the claimed receipt's signature is not one of the held digest
    const before = await bondedOf(f, node.address);
    await f.h.advance(f.parameters.challengeWindow + 1n);
    await f.h.send(client, f.at.claimRegistry, abi, 'expire', [demandId]);
    expect(await bondedOf(f, node.address)).toBe(before - f.parameters.slashAmount);
  });
});
