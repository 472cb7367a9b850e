import {
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type PrivateKeyAccount,
  publicActions,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';

/** Anvil's well-known development keys: public knowledge, never hold value. */
const DEV_KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
];
type Four<T> = [T, T, T, T];
export const DEV_ACCOUNTS = DEV_KEYS.map((k) => privateKeyToAccount(k)) as Four<PrivateKeyAccount>;

type Abi = readonly unknown[];

/**
 * Untyped contract calls for nodes, watchers, scripts and benchmarks: every send is simulated
 * first, so a revert surfaces as an error naming the custom error. `advance` works on anvil
 * only (the dev chain, the default).
 */
export function chainClient(rpcUrl: string, chain: Chain = foundry) {
  const transport = http(rpcUrl);
  // No block-number cache: a watcher must see the block its own last transaction landed in.
  const reader = createPublicClient({ chain, transport, cacheTime: 0, pollingInterval: 100 });
  const test = createTestClient({ mode: 'anvil', chain, transport });
  const wallet = (account: PrivateKeyAccount) =>
    createWalletClient({ account, chain, transport }).extend(publicActions);
  const simulate = (
    account: PrivateKeyAccount,
    address: Address,
    abi: Abi,
    functionName: string,
    args: unknown[],
    value?: bigint,
  ) => wallet(account).simulateContract({ address, abi, functionName, args, value, account } as never);
  return {
    reader,
    simulate,
    async send(
      account: PrivateKeyAccount,
      address: Address,
      abi: Abi,
      functionName: string,
      args: unknown[] = [],
      value?: bigint,
    ) {
      const { request, result } = await simulate(account, address, abi, functionName, args, value);
      // An estimate is exact for the block it ran against; the transaction lands in the next
      // one, where a moved timestamp can turn a no-op storage write (a chess clock) into a real
      // one. The margin keeps that from running out of gas.
      const estimate = await reader.estimateContractGas(request as never);
      const receipt = await reader.waitForTransactionReceipt({
        hash: await wallet(account).writeContract({
          ...(request as object),
          gas: (estimate * 5n) / 4n + 25_000n,
        } as never),
      });
      if (receipt.status !== 'success') {
        throw new Error(
          `${functionName} passed simulation but reverted on chain (transaction ${receipt.transactionHash}, gas used ${receipt.gasUsed})`,
        );
      }
      // A node may hand out a receipt a moment before its "latest" block includes it: wait, so
      // that the next read sees this transaction's effects.
      while ((await reader.getBlockNumber()) < receipt.blockNumber)
        await new Promise((r) => setTimeout(r, 20));
      return { receipt, result: result as unknown };
    },
    async deploy(account: PrivateKeyAccount, artifact: { abi: Abi; bytecode: Hex }, args: unknown[] = []) {
      const hash = await wallet(account).deployContract({ ...artifact, args } as never);
      const { contractAddress } = await reader.waitForTransactionReceipt({ hash });
      if (!contractAddress) throw new Error(`deployment ${hash} created no contract`);
      return contractAddress;
    },
    read(address: Address, abi: Abi, functionName: string, args: unknown[] = []) {
      return reader.readContract({ address, abi, functionName, args } as never) as Promise<unknown>;
    },
    /** Moves the chain's clock forward and mines a block. */
    async advance(seconds: bigint) {
      await test.increaseTime({ seconds: Number(seconds) });
      await test.mine({ blocks: 1 });
    },
  };
}

export type ChainClient = ReturnType<typeof chainClient>;
