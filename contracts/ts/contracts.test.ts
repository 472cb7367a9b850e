import { readFileSync } from 'node:fs';
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
import { modelRegistryArtifact, stakeManagerArtifact } from './artifacts.generated.js';
import { ARTIFACTS_FILE, compileContracts, renderArtifacts } from './compile.js';

// Anvil's well-known development keys: public, never hold value.
const KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
];
const [deployer, node, slasher, challenger] = KEYS.map((k) => privateKeyToAccount(k));
const DELAY = 3600n;

let chain: LocalChain;
let stakeManager: Address;
let registry: Address;

function clients(account = deployer!) {
  const transport = http(chain.rpcUrl);
  return {
    wallet: createWalletClient({ account, chain: foundry, transport }).extend(publicActions),
    test: createTestClient({ mode: 'anvil', chain: foundry, transport }),
    public: createPublicClient({ chain: foundry, transport }),
  };
}

async function deploy(
  artifact: { abi: readonly unknown[]; bytecode: Hex },
  args: unknown[] = [],
): Promise<Address> {
  const { wallet } = clients();
  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args } as never);
  const receipt = await wallet.waitForTransactionReceipt({ hash });
  return receipt.contractAddress!;
}

beforeAll(async () => {
  chain = await startAnvil();
  stakeManager = await deploy(stakeManagerArtifact, [DELAY]);
  registry = await deploy(modelRegistryArtifact);
});
afterAll(async () => {
  await chain?.stop();
});

async function send(
  account: typeof deployer,
  address: Address,
  abi: readonly unknown[],
  functionName: string,
  args: unknown[] = [],
  value?: bigint,
) {
  const { wallet } = clients(account);
  const { request } = await wallet.simulateContract({
    address,
    abi,
    functionName,
    args,
    value,
    account,
  } as never);
  const hash = await wallet.writeContract(request as never);
  return wallet.waitForTransactionReceipt({ hash });
}

function reverts(
  account: typeof deployer,
  address: Address,
  abi: readonly unknown[],
  functionName: string,
  args: unknown[] = [],
  value?: bigint,
) {
  return expect(
    clients(account).wallet.simulateContract({ address, abi, functionName, args, value, account } as never),
  ).rejects;
}

const stake = stakeManagerArtifact.abi;

describe('compiled artifacts', () => {
  it('are up to date with contracts/src', () => {
    expect(readFileSync(ARTIFACTS_FILE, 'utf8')).toBe(renderArtifacts(compileContracts()));
  });
});

describe('StakeManager on anvil', () => {
  it('stakes, unbonds after the delay and withdraws', async () => {
    await send(node, stakeManager, stake, 'stake', [], parseEther('10'));
    expect(
      await clients().public.readContract({
        address: stakeManager,
        abi: stake,
        functionName: 'bondedOf',
        args: [node!.address],
      }),
    ).toBe(parseEther('10'));
    await send(node, stakeManager, stake, 'requestUnbond', [parseEther('4')]);
    await reverts(node, stakeManager, stake, 'withdraw').toThrow(/StillUnbonding/);
    await clients().test.increaseTime({ seconds: Number(DELAY) });
    await clients().test.mine({ blocks: 1 });
    const before = await clients().public.getBalance({ address: node!.address });
    const receipt = await send(node, stakeManager, stake, 'withdraw');
    const after = await clients().public.getBalance({ address: node!.address });
    expect(after - before + receipt.gasUsed * receipt.effectiveGasPrice).toBe(parseEther('4'));
    expect(
      await clients().public.readContract({
        address: stakeManager,
        abi: stake,
        functionName: 'bondedOf',
        args: [node!.address],
      }),
    ).toBe(parseEther('6'));
  });

  it('rejects empty stakes, over-unbonding and withdrawing nothing', async () => {
    await reverts(node, stakeManager, stake, 'stake', [], 0n).toThrow(/ZeroAmount/);
    await reverts(node, stakeManager, stake, 'requestUnbond', [parseEther('100')]).toThrow(
      /InsufficientBond/,
    );
    await reverts(challenger, stakeManager, stake, 'withdraw').toThrow(/NothingToWithdraw/);
  });

  it('lets no one but the slasher slash, and the slasher be set once by the governor', async () => {
    await reverts(challenger, stakeManager, stake, 'slash', [
      node!.address,
      parseEther('1'),
      challenger!.address,
    ]).toThrow(/NotSlasher/);
    await reverts(node, stakeManager, stake, 'setSlasher', [node!.address]).toThrow(/NotGovernor/);
    await send(deployer, stakeManager, stake, 'setSlasher', [slasher!.address]);
    await reverts(deployer, stakeManager, stake, 'setSlasher', [deployer!.address]).toThrow(
      /SlasherAlreadySet/,
    );
  });

  it('slashes bonded stake first, then unbonding stake, and pays the recipient', async () => {
    await send(node, stakeManager, stake, 'requestUnbond', [parseEther('5')]); // bonded 1, unbonding 5
    const before = await clients().public.getBalance({ address: challenger!.address });
    await send(slasher, stakeManager, stake, 'slash', [node!.address, parseEther('3'), challenger!.address]);
    expect((await clients().public.getBalance({ address: challenger!.address })) - before).toBe(
      parseEther('3'),
    );
    const [bonded, unbonding] = (await clients().public.readContract({
      address: stakeManager,
      abi: stake,
      functionName: 'accounts',
      args: [node!.address],
    })) as [bigint, bigint, bigint];
    expect([bonded, unbonding]).toEqual([0n, parseEther('3')]);
  });
});

describe('ModelRegistry on anvil', () => {
  const abi = modelRegistryArtifact.abi;
  const modelId = `0x${'ab'.repeat(32)}` as Hex;
  const weightsRoot = `0x${'cd'.repeat(32)}` as Hex;

  it('registers a model once and returns its commitments', async () => {
    await send(node, registry, abi, 'register', [modelId, weightsRoot, 10, 1]);
    const model = (await clients().public.readContract({
      address: registry,
      abi,
      functionName: 'get',
      args: [modelId],
    })) as {
      weightsRoot: Hex;
      steps: number;
      opset: number;
      owner: Address;
    };
    expect(model).toMatchObject({ weightsRoot, steps: 10, opset: 1, owner: node!.address });
    await reverts(challenger, registry, abi, 'register', [modelId, weightsRoot, 10, 1]).toThrow(
      /AlreadyRegistered/,
    );
    await reverts(node, registry, abi, 'register', [`0x${'00'.repeat(32)}`, weightsRoot, 10, 1]).toThrow(
      /InvalidModel/,
    );
    await expect(
      clients().public.readContract({
        address: registry,
        abi,
        functionName: 'get',
        args: [`0x${'11'.repeat(32)}`],
      }),
    ).rejects.toThrow(/UnknownModel/);
  });
});
