import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type ChainClient,
  chainClient,
  claimRegistryArtifact,
  DEV_ACCOUNTS,
  DEV_PARAMETERS,
  deployStoa,
  type LocalChain,
  modelCommitments,
  modelRegistryArtifact,
  type ProtocolParameters,
  registerArgs,
  type StoaAddresses,
  stakeManagerArtifact,
  startAnvil,
  writeAddresses,
} from '@stoa/contracts';
import { encodeModel, type Model } from '@stoa/ir';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';

/** Anvil's development keys (public knowledge, never hold value), as the nodes' operator keys. */
export const DEV_KEYS = {
  deployer: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  nodeA: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  nodeB: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  nodeC: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  nodeD: '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
} as const;

/** A local chain with the contracts deployed, a model compiled to disk and registered. */
export class Deployment {
  private constructor(
    readonly chain: LocalChain,
    readonly client: ChainClient,
    readonly at: StoaAddresses,
    readonly dir: string,
    readonly model: Model,
    readonly modelId: Hex,
  ) {}

  static async start(model: Model, parameters: Partial<ProtocolParameters> = {}): Promise<Deployment> {
    const chain = await startAnvil();
    const client = chainClient(chain.rpcUrl);
    const [deployer] = DEV_ACCOUNTS;
    const at = await deployStoa({
      rpcUrl: chain.rpcUrl,
      account: deployer,
      chain: foundry,
      parameters: { ...DEV_PARAMETERS, ...parameters },
    });
    const dir = await mkdtemp(join(tmpdir(), 'stoa-node-'));
    await writeAddresses(join(dir, 'addresses.json'), at);
    await writeFile(join(dir, 'model.stoa'), encodeModel(model));
    const commitments = modelCommitments(model);
    await client.send(
      deployer,
      at.modelRegistry,
      modelRegistryArtifact.abi,
      'register',
      registerArgs(commitments),
    );
    return new Deployment(chain, client, at, dir, model, commitments.modelId);
  }

  /**
   * The environment a node is started with (the image's contract). Dev chains only: the node's
   * key file is pre-filled with a funded dev key, so the node stakes for itself (no operator).
   */
  env(key: Hex, extra: Record<string, string> = {}): Record<string, string> {
    const keyFile = join(this.dir, 'keys', `${privateKeyToAccount(key).address.toLowerCase()}.key`);
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
    return {
      STOA_MODEL_ID: this.modelId,
      STOA_ARTIFACT_URL: `file://${join(this.dir, 'model.stoa')}`,
      STOA_RPC_URL: this.chain.rpcUrl,
      STOA_CONTRACTS_FILE: join(this.dir, 'addresses.json'),
      STOA_NODE_KEY_FILE: keyFile,
      STOA_DATA_DIR: join(this.dir, 'data'),
      STOA_POLL_MS: '200',
      ...extra,
    };
  }

  /** The operator that authorized `signer` (the zero address when none did). */
  async operatorOf(signer: Hex): Promise<Hex> {
    return (await this.client.read(this.at.stakeManager, stakeManagerArtifact.abi, 'operatorOf', [
      signer,
    ])) as Hex;
  }

  async bondedOf(address: Hex): Promise<bigint> {
    return (await this.client.read(this.at.stakeManager, stakeManagerArtifact.abi, 'bondedOf', [
      address,
    ])) as bigint;
  }

  /** (claimId, receipt count) of every claim posted by `node`. */
  async claimsOf(node: Hex): Promise<{ claimId: bigint; receipts: number }[]> {
    const logs = (await this.client.reader.getContractEvents({
      address: this.at.claimRegistry,
      abi: claimRegistryArtifact.abi,
      eventName: 'ClaimPosted',
      args: { node },
      fromBlock: 0n,
    } as never)) as unknown as { args: { claimId: bigint; receipts: number } }[];
    return logs.map((l) => ({ claimId: l.args.claimId, receipts: Number(l.args.receipts) }));
  }

  async stop(): Promise<void> {
    await this.chain.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
