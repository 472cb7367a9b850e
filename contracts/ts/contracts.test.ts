import { readFileSync } from 'node:fs';
import { type ModelPreimage, modelIdOf } from '@stoa/ir';
import { type Address, type Hex, parseEther, toFunctionSelector } from 'viem';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from './anvil.js';
import {
  modelRegistryArtifact,
  reexecVerifierArtifact,
  stakeManagerArtifact,
} from './artifacts.generated.js';
import { ARTIFACTS_FILE, compileContracts, renderArtifacts } from './compile.js';
import { DEV_PARAMETERS, deployStoa, KERNEL_VERIFIER_ARTIFACTS, type StoaAddresses } from './deploy.js';
import { chainHarness, DEV_ACCOUNTS } from './testing/harness.js';

const [deployer, node, slasher, challenger] = DEV_ACCOUNTS;
const EIP_170 = 24_576;
const DELAY = 3600n;
const stake = stakeManagerArtifact.abi;

let chain: LocalChain;
let at: StoaAddresses;
let h: ReturnType<typeof chainHarness>;
/** A StakeManager of its own (reward 25 %, at most 0.5 ETH), whose slasher these tests name. */
let stakeManager: Address;

beforeAll(async () => {
  chain = await startAnvil();
  h = chainHarness(chain);
  at = await deployStoa({
    rpcUrl: chain.rpcUrl,
    account: deployer,
    chain: foundry,
    parameters: { ...DEV_PARAMETERS, unbondingDelay: DELAY },
  });
  stakeManager = await h.deploy(deployer, stakeManagerArtifact, [DELAY, 2500n, parseEther('0.5')]);
});
afterAll(async () => {
  await chain?.stop();
});

describe('compiled artifacts', () => {
  // solc-js compiles every contract here: ~50 s on a quiet 2-core machine, 209 s seen at load 11.
  it('are up to date with contracts/src', () => {
    expect(readFileSync(ARTIFACTS_FILE, 'utf8')).toBe(renderArtifacts(compileContracts()));
  }, 300_000);

  it('deploy under EIP-170: the kernel verifiers, the only contracts near the limit', async () => {
    // A kernel that pushes a kernel verifier over the limit makes deployStoa revert; this prints
    // how much room each has left.
    const [kernels] = (await h.read(at.reexecVerifier, reexecVerifierArtifact.abi, 'kernelVerifiers')) as [
      readonly Address[],
      readonly bigint[],
    ];
    expect(kernels).toHaveLength(KERNEL_VERIFIER_ARTIFACTS.length);
    for (const [name, address] of [
      ['ReexecVerifier', at.reexecVerifier],
      ...kernels.map((k, i) => [`kernel verifier ${i}`, k] as const),
      ['DisputeGame', at.disputeGame],
    ] as const) {
      const code = (await h.reader.getCode({ address })) ?? '0x';
      const bytes = (code.length - 2) / 2;
      console.log(`${name}: ${bytes} bytes of runtime code (EIP-170: ${EIP_170})`);
      expect(bytes, name).toBeGreaterThan(0);
      expect(bytes, name).toBeLessThanOrEqual(EIP_170);
    }
  });
});

describe('ReexecVerifier routes each op to one kernel verifier', () => {
  const deployRouter = (kernels: Address[]) => h.deploy(deployer, reexecVerifierArtifact, [kernels]);

  it('names its kernel verifiers and their ops, which never overlap', async () => {
    const [kernels, ops] = (await h.read(
      at.reexecVerifier,
      reexecVerifierArtifact.abi,
      'kernelVerifiers',
    )) as [readonly Address[], readonly bigint[]];
    for (const [i, artifact] of KERNEL_VERIFIER_ARTIFACTS.entries()) {
      expect(await h.read(kernels[i]!, artifact.abi, 'ops'), `kernel verifier ${i}`).toBe(ops[i]);
      expect(ops[i], `kernel verifier ${i} claims ops`).not.toBe(0n);
    }
    expect(
      ops.reduce(
        (a, b) => a & b,
        ops.reduce((a, b) => a | b, 0n),
      ),
    ).toBe(0n);
  });

  it('refuses no verifiers, more than four, and two verifiers claiming one op', async () => {
    const [kernels] = (await h.read(at.reexecVerifier, reexecVerifierArtifact.abi, 'kernelVerifiers')) as [
      Address[],
      bigint[],
    ];
    // A reverted deployment reports only the error's selector.
    const error = (signature: string) => new RegExp(toFunctionSelector(signature));
    await expect(deployRouter([])).rejects.toThrow(error('NoKernelVerifiers()'));
    await expect(deployRouter([...kernels, ...kernels, ...kernels])).rejects.toThrow(
      error('TooManyKernelVerifiers(uint256)'),
    );
    await expect(deployRouter([kernels[0]!, kernels[1]!, kernels[0]!])).rejects.toThrow(
      error('OpsClaimedTwice(address,uint256)'),
    );
    const one = await deployRouter([kernels[1]!]);
    const [alone] = (await h.read(one, reexecVerifierArtifact.abi, 'kernelVerifiers')) as [
      Address[],
      bigint[],
    ];
    expect(alone).toEqual([kernels[1]]);
  });
});

describe('StakeManager on anvil', () => {
  it('stakes, unbonds after the delay and withdraws', async () => {
    await h.send(node, stakeManager, stake, 'stake', [], parseEther('10'));
    expect(await h.read(stakeManager, stake, 'bondedOf', [node.address])).toBe(parseEther('10'));
    await h.send(node, stakeManager, stake, 'requestUnbond', [parseEther('4')]);
    await h.reverts(node, stakeManager, stake, 'withdraw').toThrow(/StillUnbonding/);
    await h.advance(DELAY);
    const before = await h.reader.getBalance({ address: node.address });
    const { receipt } = await h.send(node, stakeManager, stake, 'withdraw');
    const after = await h.reader.getBalance({ address: node.address });
    expect(after - before + receipt.gasUsed * receipt.effectiveGasPrice).toBe(parseEther('4'));
    expect(await h.read(stakeManager, stake, 'bondedOf', [node.address])).toBe(parseEther('6'));
  });

  it('rejects empty stakes, over-unbonding and withdrawing nothing', async () => {
    await h.reverts(node, stakeManager, stake, 'stake', [], 0n).toThrow(/ZeroAmount/);
    await h
      .reverts(node, stakeManager, stake, 'requestUnbond', [parseEther('100')])
      .toThrow(/InsufficientBond/);
    await h.reverts(challenger, stakeManager, stake, 'withdraw').toThrow(/NothingToWithdraw/);
  });

  it('lets no one but the slasher slash, and the slasher be set once by the governor', async () => {
    await h
      .reverts(challenger, stakeManager, stake, 'slash', [node.address, parseEther('1'), challenger.address])
      .toThrow(/NotSlasher/);
    await h.reverts(node, stakeManager, stake, 'setSlasher', [node.address]).toThrow(/NotGovernor/);
    await h.send(deployer, stakeManager, stake, 'setSlasher', [slasher.address]);
    await h
      .reverts(deployer, stakeManager, stake, 'setSlasher', [deployer.address])
      .toThrow(/SlasherAlreadySet/);
  });

  it('slashes bonded stake first, then unbonding stake, burns it but a capped reward paid after the delay', async () => {
    await h.send(node, stakeManager, stake, 'requestUnbond', [parseEther('5')]); // bonded 1, unbonding 5
    await h.send(slasher, stakeManager, stake, 'slash', [node.address, parseEther('3'), challenger.address]);
    const [bonded, unbonding] = (await h.read(stakeManager, stake, 'accounts', [node.address])) as [
      bigint,
      bigint,
      bigint,
    ];
    expect([bonded, unbonding]).toEqual([0n, parseEther('3')]);
    // 25 % of 3 ETH is 0.75 ETH, over the 0.5 ETH cap; the other 2.5 ETH is burned.
    expect(await h.read(stakeManager, stake, 'burned')).toBe(parseEther('2.5'));
    const [, reward] = (await h.read(stakeManager, stake, 'rewards', [challenger.address])) as bigint[];
    expect(reward).toBe(parseEther('0.5'));
    await h.reverts(challenger, stakeManager, stake, 'withdrawReward').toThrow(/StillUnbonding/);
    await h.advance(DELAY + 1n);
    const before = await h.reader.getBalance({ address: challenger.address });
    const { receipt } = await h.send(challenger, stakeManager, stake, 'withdrawReward');
    expect(
      (await h.reader.getBalance({ address: challenger.address })) -
        before +
        receipt.gasUsed * receipt.effectiveGasPrice,
    ).toBe(parseEther('0.5'));
  });
});

describe('ModelRegistry on anvil', () => {
  const abi = modelRegistryArtifact.abi;
  const preimage: ModelPreimage = {
    graphDigest: `0x${'ab'.repeat(32)}`,
    weightsRoot: `0x${'cd'.repeat(32)}`,
    stepsRoot: `0x${'ef'.repeat(32)}`,
    layoutHash: `0x${'12'.repeat(32)}`,
    steps: 10,
    opset: 1,
  };
  const modelId = modelIdOf(preimage);
  const args = (p: ModelPreimage, id: Hex = modelIdOf(p)) => [
    id,
    p.graphDigest,
    p.weightsRoot,
    p.stepsRoot,
    p.layoutHash,
    p.steps,
    p.opset,
  ];
  const zero = `0x${'00'.repeat(32)}` as Hex;

  it('computes the modelId of a pre-image exactly as @stoa/ir does', async () => {
    expect(await h.read(at.modelRegistry, abi, 'modelIdOf', args(preimage).slice(1))).toBe(modelId);
    const other = { ...preimage, steps: 0x01020304, opset: 0xfffe };
    expect(await h.read(at.modelRegistry, abi, 'modelIdOf', args(other).slice(1))).toBe(modelIdOf(other));
  });

  it('registers a model once per node and returns its commitments', async () => {
    await h.send(node, at.modelRegistry, abi, 'register', args(preimage));
    const model = await h.read(at.modelRegistry, abi, 'get', [modelId, node.address]);
    expect(model).toMatchObject({
      weightsRoot: preimage.weightsRoot,
      stepsRoot: preimage.stepsRoot,
      layoutHash: preimage.layoutHash,
      steps: 10,
      opset: 1,
      owner: node.address as Address,
    });
    await h.reverts(node, at.modelRegistry, abi, 'register', args(preimage)).toThrow(/AlreadyRegistered/);
    // Another account registers the same model as its own entry; it cannot touch this node's.
    await h.send(challenger, at.modelRegistry, abi, 'register', args(preimage));
    expect(await h.read(at.modelRegistry, abi, 'get', [modelId, node.address])).toMatchObject({
      layoutHash: preimage.layoutHash,
    });
    for (const bad of [
      args(preimage, zero),
      args({ ...preimage, stepsRoot: zero }),
      args({ ...preimage, layoutHash: zero }),
      args({ ...preimage, steps: 0 }),
      args({ ...preimage, opset: 0 }),
    ]) {
      await h.reverts(slasher, at.modelRegistry, abi, 'register', bad).toThrow(/InvalidModel/);
    }
    await expect(
      h.read(at.modelRegistry, abi, 'get', [`0x${'11'.repeat(32)}`, node.address]),
    ).rejects.toThrow(/UnknownModel/);
  });

  it('refuses a modelId paired with any commitment that is not its pre-image', async () => {
    for (const field of ['graphDigest', 'weightsRoot', 'stepsRoot', 'layoutHash'] as const) {
      const wrong = args({ ...preimage, [field]: `0x${'66'.repeat(32)}` }, modelId);
      await h.reverts(slasher, at.modelRegistry, abi, 'register', wrong).toThrow(/ModelIdMismatch/);
    }
    for (const wrong of [
      args({ ...preimage, steps: 11 }, modelId),
      args({ ...preimage, opset: 2 }, modelId),
    ]) {
      await h.reverts(slasher, at.modelRegistry, abi, 'register', wrong).toThrow(/ModelIdMismatch/);
    }
    expect(await h.read(at.modelRegistry, abi, 'isRegistered', [modelId, slasher.address])).toBe(false);
  });
});
