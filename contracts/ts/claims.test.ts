import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, randomGraph } from '@stoa/ir';
import { type Address, type Hex, parseEther } from 'viem';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from './anvil.js';
import { claimRegistryArtifact, modelRegistryArtifact, stakeManagerArtifact } from './artifacts.generated.js';
import { DEV_PARAMETERS, deployStoa, readAddresses, type StoaAddresses, writeAddresses } from './deploy.js';
import { ReceiptBatch } from './game/batch.js';
import { emitted } from './game/client.js';
import { modelCommitments, registerArgs } from './game/commitments.js';
import { chainHarness, DEV_ACCOUNTS } from './testing/harness.js';

const [deployer, node, stranger] = DEV_ACCOUNTS;
const claims = claimRegistryArtifact.abi;
const stake = stakeManagerArtifact.abi;

let chain: LocalChain;
let at: StoaAddresses;
let h: ReturnType<typeof chainHarness>;
let dir: string;

beforeAll(async () => {
  chain = await startAnvil();
  h = chainHarness(chain);
  dir = await mkdtemp(join(tmpdir(), 'stoa-deploy-'));
  await writeAddresses(
    join(dir, 'addresses.json'),
    await deployStoa({ rpcUrl: chain.rpcUrl, account: deployer, chain: foundry }),
  );
  at = await readAddresses(join(dir, 'addresses.json'));
});
afterAll(async () => {
  await chain?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('claims on anvil, with receipts from real traced executions', () => {
  it('stake, register the model, claim a batch, let the window pass, finalize, unbond and withdraw', async () => {
    const { model, inputs } = randomGraph(12);
    const domain = { chainId: chain.chainId, verifyingContract: at.claimRegistry };
    const receipts = [];
    for (let nonce = 1n; nonce <= 4n; nonce++)
      receipts.push((await execute(model, inputs, { sign: { account: node, domain, nonce } })).receipt!);
    const batchRoot = new ReceiptBatch(receipts, domain).root;
    const commitments = modelCommitments(model);
    const { modelId } = commitments;
    const post = (receiptCount: number, bond: bigint) =>
      h.reverts(node, at.claimRegistry, claims, 'post', [modelId, batchRoot, receiptCount], bond);

    await post(4, DEV_PARAMETERS.claimBond).toThrow(/ModelNotRegistered/);
    await h.send(node, at.modelRegistry, modelRegistryArtifact.abi, 'register', registerArgs(commitments));
    await post(4, DEV_PARAMETERS.claimBond).toThrow(/InsufficientStake/);
    await h.send(node, at.stakeManager, stake, 'stake', [], parseEther('2'));
    await post(4, 1n).toThrow(/WrongBond/);
    await post(0, DEV_PARAMETERS.claimBond).toThrow(/EmptyBatch/);

    const posted = await h.send(
      node,
      at.claimRegistry,
      claims,
      'post',
      [modelId, batchRoot, 4],
      DEV_PARAMETERS.claimBond,
    );
    const claimId = emitted(posted, at.claimRegistry, 'ClaimPosted').claimId;
    expect(await h.read(at.claimRegistry, claims, 'get', [claimId])).toMatchObject({
      batchRoot,
      status: 1,
      node: node.address as Address,
    });

    await h.reverts(stranger, at.claimRegistry, claims, 'finalize', [claimId]).toThrow(/WindowOpen/);
    await h.reverts(stranger, at.claimRegistry, claims, 'disputeOpened', [claimId]).toThrow(/NotDisputeGame/);
    await h
      .reverts(stranger, at.claimRegistry, claims, 'disputeResolved', [claimId, false, stranger.address])
      .toThrow(/NotDisputeGame/);
    await h.advance(DEV_PARAMETERS.challengeWindow);
    const before = await h.reader.getBalance({ address: node.address });
    await h.send(stranger, at.claimRegistry, claims, 'finalize', [claimId]);
    expect((await h.reader.getBalance({ address: node.address })) - before).toBe(DEV_PARAMETERS.claimBond);
    await h.reverts(stranger, at.claimRegistry, claims, 'finalize', [claimId]).toThrow(/NotPending/);
    await expect(h.read(at.claimRegistry, claims, 'get', [999n])).rejects.toThrow(/UnknownClaim/);

    await h.send(node, at.stakeManager, stake, 'requestUnbond', [parseEther('2')]);
    await h.advance(DEV_PARAMETERS.unbondingDelay);
    await h.send(node, at.stakeManager, stake, 'withdraw');
    expect(await h.read(at.stakeManager, stake, 'bondedOf', [node.address])).toBe(0n);
  });

  it('refuses an addresses file with a bad field, naming it', async () => {
    const file = join(dir, 'bad.json');
    await writeAddresses(file, { ...at, claimRegistry: '0x1234' as Hex });
    await expect(readAddresses(file)).rejects.toThrow(/field 'claimRegistry'/);
  });
});
