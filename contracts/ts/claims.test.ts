import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, fromHex, merkleRoot, randomGraph, toHex } from '@stoa/ir';
import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  parseEther,
  publicActions,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from './anvil.js';
import { claimRegistryArtifact, modelRegistryArtifact, stakeManagerArtifact } from './artifacts.generated.js';
import { DEV_PARAMETERS, deployStoa, readAddresses, type StoaAddresses, writeAddresses } from './deploy.js';

// Anvil's well-known development keys: public, never hold value.
const deployer = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const node = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const stranger = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');

let chain: LocalChain;
let addresses: StoaAddresses;
let dir: string;

beforeAll(async () => {
  chain = await startAnvil();
  dir = await mkdtemp(join(tmpdir(), 'stoa-deploy-'));
  await writeAddresses(
    join(dir, 'addresses.json'),
    await deployStoa({ rpcUrl: chain.rpcUrl, account: deployer, chain: foundry }),
  );
  addresses = await readAddresses(join(dir, 'addresses.json'));
});
afterAll(async () => {
  await chain?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const transport = () => http(chain.rpcUrl);
const reader = () => createPublicClient({ chain: foundry, transport: transport() });

async function send(
  account: typeof node,
  address: Address,
  abi: readonly unknown[],
  functionName: string,
  args: unknown[] = [],
  value?: bigint,
) {
  const wallet = createWalletClient({ account, chain: foundry, transport: transport() }).extend(
    publicActions,
  );
  const { request, result } = await wallet.simulateContract({
    address,
    abi,
    functionName,
    args,
    value,
    account,
  } as never);
  const receipt = await wallet.waitForTransactionReceipt({
    hash: await wallet.writeContract(request as never),
  });
  return { receipt, result };
}

function reverts(
  account: typeof node,
  address: Address,
  abi: readonly unknown[],
  functionName: string,
  args: unknown[] = [],
  value?: bigint,
) {
  const wallet = createWalletClient({ account, chain: foundry, transport: transport() });
  return expect(
    wallet
      .extend(publicActions)
      .simulateContract({ address, abi, functionName, args, value, account } as never),
  ).rejects;
}

describe('claims on anvil, with receipts from real traced executions', () => {
  it('stake, register the model, claim a batch, let the window pass, finalize, unbond and withdraw', async () => {
    const { model, inputs } = randomGraph(12);
    const domain = { chainId: chain.chainId, verifyingContract: addresses.claimRegistry };
    const receipts = [];
    for (let nonce = 1n; nonce <= 4n; nonce++)
      receipts.push((await execute(model, inputs, { sign: { account: node, domain, nonce } })).receipt!);
    const batchRoot = toHex(merkleRoot(receipts.map((r) => fromHex(r.signature))));
    const claims = claimRegistryArtifact.abi;

    await reverts(
      node,
      addresses.claimRegistry,
      claims,
      'post',
      [receipts[0]!.modelId, batchRoot, 4],
      DEV_PARAMETERS.claimBond,
    ).toThrow(/ModelNotRegistered/);
    await send(node, addresses.modelRegistry, modelRegistryArtifact.abi, 'register', [
      receipts[0]!.modelId,
      `0x${'00'.repeat(32)}`,
      receipts[0]!.steps,
      1,
    ]);
    await reverts(
      node,
      addresses.claimRegistry,
      claims,
      'post',
      [receipts[0]!.modelId, batchRoot, 4],
      DEV_PARAMETERS.claimBond,
    ).toThrow(/InsufficientStake/);
    await send(node, addresses.stakeManager, stakeManagerArtifact.abi, 'stake', [], parseEther('2'));
    await reverts(
      node,
      addresses.claimRegistry,
      claims,
      'post',
      [receipts[0]!.modelId, batchRoot, 4],
      1n,
    ).toThrow(/WrongBond/);
    await reverts(
      node,
      addresses.claimRegistry,
      claims,
      'post',
      [receipts[0]!.modelId, batchRoot, 0],
      DEV_PARAMETERS.claimBond,
    ).toThrow(/EmptyBatch/);

    const { result: claimId } = await send(
      node,
      addresses.claimRegistry,
      claims,
      'post',
      [receipts[0]!.modelId, batchRoot, 4],
      DEV_PARAMETERS.claimBond,
    );
    const claim = (await reader().readContract({
      address: addresses.claimRegistry,
      abi: claims,
      functionName: 'get',
      args: [claimId],
    })) as { batchRoot: Hex; status: number; node: Address };
    expect(claim).toMatchObject({ batchRoot, status: 1, node: node.address });

    await reverts(stranger, addresses.claimRegistry, claims, 'finalize', [claimId]).toThrow(/WindowOpen/);
    await reverts(stranger, addresses.claimRegistry, claims, 'markChallenged', [claimId]).toThrow(
      /NotDisputeGame/,
    );
    await reverts(stranger, addresses.claimRegistry, claims, 'resolve', [claimId, false]).toThrow(
      /NotDisputeGame/,
    );
    const test = createTestClient({ mode: 'anvil', chain: foundry, transport: transport() });
    await test.increaseTime({ seconds: Number(DEV_PARAMETERS.challengeWindow) });
    await test.mine({ blocks: 1 });
    const before = await reader().getBalance({ address: node.address });
    await send(stranger, addresses.claimRegistry, claims, 'finalize', [claimId]);
    expect((await reader().getBalance({ address: node.address })) - before).toBe(DEV_PARAMETERS.claimBond);
    await reverts(stranger, addresses.claimRegistry, claims, 'finalize', [claimId]).toThrow(/NotPending/);
    await reverts(stranger, addresses.claimRegistry, claims, 'get', [999n]).toThrow(/UnknownClaim/);

    await send(node, addresses.stakeManager, stakeManagerArtifact.abi, 'requestUnbond', [parseEther('2')]);
    await test.increaseTime({ seconds: Number(DEV_PARAMETERS.unbondingDelay) });
    await test.mine({ blocks: 1 });
    await send(node, addresses.stakeManager, stakeManagerArtifact.abi, 'withdraw');
    expect(
      await reader().readContract({
        address: addresses.stakeManager,
        abi: stakeManagerArtifact.abi,
        functionName: 'bondedOf',
        args: [node.address],
      }),
    ).toBe(0n);
  });

  it('refuses an addresses file with a bad field, naming it', async () => {
    const file = join(dir, 'bad.json');
    await writeAddresses(file, { ...addresses, claimRegistry: '0x1234' as Address });
    await expect(readAddresses(file)).rejects.toThrow(/field 'claimRegistry'/);
  });
});
