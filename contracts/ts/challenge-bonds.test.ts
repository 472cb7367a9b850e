import { importMnistModel, loadMnist } from '@stoa/example-mnist';
import { type Model, quantizeInput } from '@stoa/ir';
import type { Address, Hex, PrivateKeyAccount } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from './anvil.js';
import { challengeBondsArtifact, disputeGameArtifact } from './artifacts.generated.js';
import {
  type ChallengeAuthorization,
  challengeAuthorizationDigest,
  openAuthorizedArgs,
  signChallengeAuthorization,
} from './challenges/authorization.js';
import { DEV_PARAMETERS } from './deploy.js';
import { receiptArg, receiptDigest } from './game/batch.js';
import { emitted } from './game/client.js';
import { challengerFromView, claimantFromView, playOut } from './game/parties.js';
import {
  bondedOf,
  creditOf,
  type GameFixture,
  honestView,
  perturbStep,
  postClaim,
  rewardOf,
  setUpGame,
  signView,
  slashReward,
  tamperedView,
} from './game/scenario.js';
import type { ExecutionView } from './game/witness.js';
import { chainHarness, DEV_ACCOUNTS } from './testing/harness.js';

const [deployer, node, agent, client] = DEV_ACCOUNTS;
const bondsAbi = challengeBondsArtifact.abi;
const { challengeBond, claimBond } = DEV_PARAMETERS;

let chain: LocalChain;
let h: ReturnType<typeof chainHarness>;
let cnn: Model;
let honest: ExecutionView;
let f: GameFixture;
let bonds: Address;

beforeAll(async () => {
  chain = await startAnvil();
  h = chainHarness(chain);
  cnn = importMnistModel('cnn').model;
  const image = loadMnist('test').images.subarray(0, 784);
  honest = await honestView(cnn, [quantizeInput(cnn.graph, 0, image)]);
  f = await setUpGame(chain, h, deployer, node, cnn);
  bonds = (await h.read(f.at.disputeGame, disputeGameArtifact.abi, 'bonds')) as Address;
});
afterAll(async () => {
  await chain?.stop();
});

const domain = () => ({ chainId: chain.chainId, verifyingContract: bonds });
const depositOf = async (who: Address) => (await h.read(bonds, bondsAbi, 'deposits', [who])) as bigint;
const now = async () => (await h.reader.getBlock()).timestamp;
let nextNonce = 100n;

/** One receipt of `view` in a fresh claim, and an authorization for it signed by `signer`. */
async function claimed(
  view: ExecutionView,
  overrides: Partial<ChallengeAuthorization> = {},
  signer = client,
) {
  const receipt = await signView(f, view, nextNonce++);
  const { claimId, batch } = await postClaim(f, [receipt]);
  const authorization: ChallengeAuthorization = {
    receiptDigest: receiptDigest(receipt, { chainId: chain.chainId, verifyingContract: f.at.claimRegistry }),
    maxBond: challengeBond,
    agent: agent.address,
    deadline: (await now()) + 3600n,
    nonce: nextNonce++,
    ...overrides,
  };
  const signature = await signChallengeAuthorization(signer, authorization, domain());
  const args = openAuthorizedArgs(client.address, authorization, signature, {
    claimId,
    receipt,
    index: 0,
    proof: batch.proof(0),
  });
  return { claimId, receipt, authorization, signature, args: args as unknown as unknown[] };
}

async function openAuthorized(args: unknown[], by: PrivateKeyAccount = agent) {
  const sent = await h.send(by, bonds, bondsAbi, 'openAuthorized', args);
  return {
    disputeId: emitted(sent, bonds, 'ChallengeOpened').disputeId as bigint,
    gas: sent.receipt.gasUsed,
  };
}

describe('ChallengeBonds: a challenge paid from the client’s deposit, played by its agent', () => {
  it('deposits, withdraws unspent deposit, and refuses more than is there', async () => {
    await h.send(client, bonds, bondsAbi, 'deposit', [], 3n * challengeBond);
    expect(await depositOf(client.address)).toBe(3n * challengeBond);
    await h.send(client, bonds, bondsAbi, 'withdraw', [challengeBond]);
    expect(await depositOf(client.address)).toBe(2n * challengeBond);
    await h.reverts(client, bonds, bondsAbi, 'withdraw', [3n * challengeBond]).toThrow(/InsufficientDeposit/);
    await h.reverts(client, bonds, bondsAbi, 'deposit', [], 0n).toThrow(/ZeroAmount/);
    expect(
      await h.read(bonds, bondsAbi, 'authorizationDigest', [
        { receiptDigest: `0x${'ab'.repeat(32)}`, maxBond: 1n, agent: agent.address, deadline: 2n, nonce: 3n },
      ]),
    ).toBe(
      challengeAuthorizationDigest(
        { receiptDigest: `0x${'ab'.repeat(32)}`, maxBond: 1n, agent: agent.address, deadline: 2n, nonce: 3n },
        domain(),
      ),
    );
  });

  it('a lying node: the agent plays, the node is slashed, the client gets bond + claim bond + reward', async () => {
    const liar = tamperedView(honest, perturbStep(3, 17));
    const { args, claimId } = await claimed(liar);
    const depositBefore = await depositOf(client.address);
    const stakeBefore = await bondedOf(f, node.address);
    const { disputeId, gas } = await openAuthorized(args);
    // The plain path on a like claim, same run: what authorizing from a deposit adds.
    const plain = await claimed(liar);
    const opened = await h.send(
      agent,
      f.at.disputeGame,
      disputeGameArtifact.abi,
      'open',
      [plain.claimId, receiptArg(plain.receipt), plain.receipt.signature, 0n, []],
      challengeBond,
    );
    console.log(`gas: openAuthorized ${gas}, open ${opened.receipt.gasUsed}`);
    expect(await depositOf(client.address)).toBe(depositBefore - challengeBond);
    const state = (await h.read(f.at.disputeGame, disputeGameArtifact.abi, 'get', [disputeId])) as {
      challenger: Address;
      payee: Address;
      claimId: bigint;
    };
    expect(state).toMatchObject({ challenger: agent.address, payee: client.address, claimId });
    // The replay of a spent authorization is refused, naming the nonce.
    await h.reverts(agent, bonds, bondsAbi, 'openAuthorized', args).toThrow(/NonceAlreadyUsed/);

    const end = await playOut(
      { h, game: f.at.disputeGame, disputeId, arity: 2 },
      claimantFromView(node, liar),
      challengerFromView(agent, honest),
    );
    expect(end.challengerWon).toBe(true);
    expect(await bondedOf(f, node.address)).toBe(stakeBefore - DEV_PARAMETERS.slashAmount);
    expect(await creditOf(f, agent.address)).toBe(0n);
    expect(await rewardOf(f, agent.address)).toBe(0n);
    expect(await creditOf(f, client.address)).toBe(challengeBond + claimBond);
    expect(await rewardOf(f, client.address)).toBe(slashReward(DEV_PARAMETERS));
    const before = await h.reader.getBalance({ address: client.address });
    const { receipt } = await h.send(client, f.at.disputeGame, disputeGameArtifact.abi, 'withdraw');
    expect((await h.reader.getBalance({ address: client.address })) - before).toBe(
      challengeBond + claimBond - receipt.gasUsed * receipt.effectiveGasPrice,
    );
  });

  it('an honest node: the client loses its bond to the node, which is not slashed', async () => {
    const { args } = await claimed(honest);
    const stakeBefore = await bondedOf(f, node.address);
    const nodeCredit = await creditOf(f, node.address);
    const clientCredit = await creditOf(f, client.address);
    const { disputeId } = await openAuthorized(args);
    const end = await playOut(
      { h, game: f.at.disputeGame, disputeId, arity: 2 },
      claimantFromView(node, honest),
      challengerFromView(agent, honest),
    );
    expect(end.challengerWon).toBe(false);
    expect(await bondedOf(f, node.address)).toBe(stakeBefore);
    expect(await creditOf(f, node.address)).toBe(nodeCredit + challengeBond);
    expect(await creditOf(f, client.address)).toBe(clientCredit);
  });

  it('refuses an expired, misdirected, forged, cancelled, too-costly or mismatched authorization', async () => {
    await h.send(client, bonds, bondsAbi, 'deposit', [], challengeBond);
    const expired = await claimed(honest, { deadline: (await now()) - 1n });
    await h.reverts(agent, bonds, bondsAbi, 'openAuthorized', expired.args).toThrow(/AuthorizationExpired/);
    const ok = await claimed(honest);
    await h.reverts(node, bonds, bondsAbi, 'openAuthorized', ok.args).toThrow(/NotAgent/);
    const forged = await claimed(honest, {}, node);
    await h
      .reverts(agent, bonds, bondsAbi, 'openAuthorized', forged.args)
      .toThrow(/BadAuthorizationSignature/);
    const cheap = await claimed(honest, { maxBond: challengeBond - 1n });
    await h.reverts(agent, bonds, bondsAbi, 'openAuthorized', cheap.args).toThrow(/BondAboveMax/);
    const elsewhere = await claimed(honest, { receiptDigest: `0x${'11'.repeat(32)}` as Hex });
    await h.reverts(agent, bonds, bondsAbi, 'openAuthorized', elsewhere.args).toThrow(/WrongReceipt/);
    await h.send(client, bonds, bondsAbi, 'cancelNonce', [ok.authorization.nonce]);
    await h.reverts(agent, bonds, bondsAbi, 'openAuthorized', ok.args).toThrow(/NonceAlreadyUsed/);
    const poor = await claimed(honest);
    await h.send(client, bonds, bondsAbi, 'withdraw', [await depositOf(client.address)]);
    await h.reverts(agent, bonds, bondsAbi, 'openAuthorized', poor.args).toThrow(/InsufficientDeposit/);
    // Only ChallengeBonds may open a dispute for someone else.
    await h
      .reverts(
        agent,
        f.at.disputeGame,
        disputeGameArtifact.abi,
        'openFor',
        [
          agent.address,
          client.address,
          poor.claimId,
          receiptArg(poor.receipt),
          poor.receipt.signature,
          0n,
          [],
        ],
        challengeBond,
      )
      .toThrow(/NotBonds/);
  });
});
