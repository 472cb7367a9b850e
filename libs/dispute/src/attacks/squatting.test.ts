/**
 * Finding 3 of issue 18: anyone could register a real modelId first with the right weightsRoot
 * and a wrong layoutHash; the node's own registration then reverted, its start-up check
 * (weightsRoot only) passed, and it lost every dispute because `revealFinal` reverted. A node
 * could do the same to itself (commitments under which one-step proofs revert, so challengers
 * cannot win). Now modelId hashes every commitment and ModelRegistry recomputes it from the
 * submitted pre-image: a right modelId with any wrong root is refused, by whoever sends it.
 */
import {
  chainClient,
  challengerFromView,
  claimantFromView,
  DEV_PARAMETERS,
  deployStoa,
  ensureRegistration,
  type LocalChain,
  modelCommitments,
  modelRegistryArtifact,
  openDispute,
  playOut,
  postClaim,
  registerArgs,
  signView,
  stakeManagerArtifact,
  startAnvil,
} from '@stoa/contracts';
import { Random, randomGraph } from '@stoa/ir';
import { type Hex, parseEther } from 'viem';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilAccount, honestReceipt } from './helpers.js';

const deployer = anvilAccount(0);
const node = anvilAccount(1);
const squatter = anvilAccount(2);
const griefer = anvilAccount(3);

let chain: LocalChain;

beforeAll(async () => {
  chain = await startAnvil();
});
afterAll(async () => {
  await chain?.stop();
});

describe('registration squatting (issue 18, finding 3)', () => {
  it('a squatter registering the modelId first with a wrong layoutHash cannot make the honest node lose', async () => {
    const h = chainClient(chain.rpcUrl);
    const at = await deployStoa({ rpcUrl: chain.rpcUrl, account: deployer, chain: foundry });
    const { model } = randomGraph(3);
    const right = modelCommitments(model);
    const wrongLayout = `0x${'66'.repeat(32)}` as Hex;
    await expect(
      h.send(
        squatter,
        at.modelRegistry,
        modelRegistryArtifact.abi,
        'register',
        registerArgs({ ...right, layoutHash: wrongLayout }),
      ),
    ).rejects.toThrow(/ModelIdMismatch/);

    // The node's start-up registration check passes only with every commitment right.
    await ensureRegistration(h, at, node, model);
    await h.send(node, at.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('5'));
    const f = { h, at, parameters: DEV_PARAMETERS, model, node };
    const { view } = await honestReceipt(f, 1n);
    const { claimId, batch } = await postClaim(f, [await signView(f, view, 1n)]);
    const bonded = (await h.read(at.stakeManager, stakeManagerArtifact.abi, 'bondedOf', [
      node.address,
    ])) as bigint;
    const disputeId = await openDispute(f, griefer, claimId, batch, 0);
    const end = await playOut(
      { h, game: at.disputeGame, disputeId, arity: 2 },
      claimantFromView(node, view),
      challengerFromView(griefer, view, { random: new Random(7) }),
    );
    expect(end.challengerWon).toBe(false);
    expect(await h.read(at.stakeManager, stakeManagerArtifact.abi, 'bondedOf', [node.address])).toBe(bonded);
  });

  it('the chain refuses a registration of the right modelId with a wrong stepsRoot or layoutHash, even by the node itself', async () => {
    const h = chainClient(chain.rpcUrl);
    const at = await deployStoa({ rpcUrl: chain.rpcUrl, account: deployer, chain: foundry });
    const { model } = randomGraph(3);
    const right = modelCommitments(model);
    for (const wrong of [
      { ...right, stepsRoot: `0x${'77'.repeat(32)}` as Hex },
      { ...right, layoutHash: `0x${'66'.repeat(32)}` as Hex },
      { ...right, steps: right.steps + 1 },
    ]) {
      for (const sender of [node, squatter]) {
        await expect(
          h.send(sender, at.modelRegistry, modelRegistryArtifact.abi, 'register', registerArgs(wrong)),
        ).rejects.toThrow(/ModelIdMismatch/);
      }
    }
    for (const sender of [node, squatter]) {
      expect(
        await h.read(at.modelRegistry, modelRegistryArtifact.abi, 'isRegistered', [
          right.modelId,
          sender.address,
        ]),
      ).toBe(false);
    }
    // The registration the node's start-up check makes is the only one the chain accepts.
    await expect(ensureRegistration(h, at, node, model)).resolves.toMatchObject({
      layoutHash: right.layoutHash,
    });
  });
});
