import { randomGraph } from '@stoa/ir';
import { type Address, createWalletClient, http, parseEther } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from './anvil.js';
import { claimRegistryArtifact, modelRegistryArtifact, stakeManagerArtifact } from './artifacts.generated.js';
import { DEV_PARAMETERS, deployStoa, type StoaAddresses } from './deploy.js';
import { emitted } from './game/client.js';
import { modelCommitments, registerArgs } from './game/commitments.js';
import { chainHarness, DEV_ACCOUNTS } from './testing/harness.js';

const [deployer, operator, slasher, other] = DEV_ACCOUNTS;
const stake = stakeManagerArtifact.abi;
const claims = claimRegistryArtifact.abi;

let chain: LocalChain;
let h: ReturnType<typeof chainHarness>;
let at: StoaAddresses;
let stakeManager: Address;

beforeAll(async () => {
  chain = await startAnvil();
  h = chainHarness(chain);
  at = await deployStoa({ rpcUrl: chain.rpcUrl, account: deployer, chain: foundry });
  stakeManager = await h.deploy(deployer, stakeManagerArtifact, [3600n, 0n, 0n]);
  await h.send(deployer, stakeManager, stake, 'setSlasher', [slasher.address]);
});
afterAll(async () => {
  await chain?.stop();
});

/** A node key as the node makes it at first start: fresh, never seen by the operator. */
async function freshSigner(gas = parseEther('1')) {
  const signer = privateKeyToAccount(generatePrivateKey());
  const wallet = createWalletClient({ account: operator, chain: foundry, transport: http(chain.rpcUrl) });
  await h.reader.waitForTransactionReceipt({
    hash: await wallet.sendTransaction({ to: signer.address, value: gas }),
  });
  return signer;
}

describe('node signers authorized by their operator (anvil)', () => {
  it("backs an authorized signer with the operator's bond; slashing its claims takes the operator's stake", async () => {
    await h.send(operator, stakeManager, stake, 'stake', [], parseEther('5'));
    const signer = await freshSigner();
    expect(await h.read(stakeManager, stake, 'bondedOf', [signer.address])).toBe(0n);
    await h.send(operator, stakeManager, stake, 'authorizeSigner', [signer.address]);
    expect(await h.read(stakeManager, stake, 'operatorOf', [signer.address])).toBe(operator.address);
    expect(await h.read(stakeManager, stake, 'bondedOf', [signer.address])).toBe(parseEther('5'));
    await h.reverts(signer, stakeManager, stake, 'stake', [], 1n).toThrow(/SignerCannotStake/);
    await h
      .reverts(other, stakeManager, stake, 'authorizeSigner', [signer.address])
      .toThrow(/SignerAlreadyBound/);
    await h.reverts(other, stakeManager, stake, 'revokeSigner', [signer.address]).toThrow(/NotOperatorOf/);

    await h.send(slasher, stakeManager, stake, 'slash', [signer.address, parseEther('2'), other.address]);
    expect(await h.read(stakeManager, stake, 'bondedOf', [operator.address])).toBe(parseEther('3'));

    await h.send(operator, stakeManager, stake, 'revokeSigner', [signer.address]);
    expect(await h.read(stakeManager, stake, 'bondedOf', [signer.address])).toBe(0n);
    // Revocation does not let the operator escape what the signer already claimed.
    await h.send(slasher, stakeManager, stake, 'slash', [signer.address, parseEther('1'), other.address]);
    expect(await h.read(stakeManager, stake, 'bondedOf', [operator.address])).toBe(parseEther('2'));
    await h
      .reverts(operator, stakeManager, stake, 'authorizeSigner', [signer.address])
      .toThrow(/SignerAlreadyBound/);
  });

  it('refuses to bind an address that holds stake of its own', async () => {
    await h.send(other, stakeManager, stake, 'stake', [], parseEther('1'));
    await h
      .reverts(operator, stakeManager, stake, 'authorizeSigner', [other.address])
      .toThrow(/SignerHasOwnStake/);
  });

  it('lets an authorized signer post claims on the registry, and a revoked one no more', async () => {
    const { model } = randomGraph(12);
    const commitments = modelCommitments(model);
    await h.send(operator, at.stakeManager, stake, 'stake', [], DEV_PARAMETERS.minStake);
    const signer = await freshSigner();
    // Registrations are per node: the signer registers the commitments it will be judged on.
    await h.send(signer, at.modelRegistry, modelRegistryArtifact.abi, 'register', registerArgs(commitments));
    const post = () =>
      h.send(
        signer,
        at.claimRegistry,
        claims,
        'post',
        [commitments.modelId, `0x${'ab'.repeat(32)}`, 1],
        DEV_PARAMETERS.claimBond,
      );
    await expect(post()).rejects.toThrow(/InsufficientStake/);
    await h.send(operator, at.stakeManager, stake, 'authorizeSigner', [signer.address]);
    const claimId = emitted(await post(), at.claimRegistry, 'ClaimPosted').claimId as bigint;
    expect(await h.read(at.claimRegistry, claims, 'get', [claimId])).toMatchObject({ node: signer.address });
    await h.send(operator, at.stakeManager, stake, 'revokeSigner', [signer.address]);
    await expect(post()).rejects.toThrow(/InsufficientStake/);
  });
});
