import {
  type Address,
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
import { expect } from 'vitest';
import type { LocalChain } from '../anvil.js';

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

/** Contract calls for tests on a real anvil node: simulate first (so reverts decode), then send. */
export function chainHarness(chain: LocalChain) {
  const transport = http(chain.rpcUrl);
  const reader = createPublicClient({ chain: foundry, transport });
  const test = createTestClient({ mode: 'anvil', chain: foundry, transport });
  const wallet = (account: PrivateKeyAccount) =>
    createWalletClient({ account, chain: foundry, transport }).extend(publicActions);
  const call = (
    account: PrivateKeyAccount,
    address: Address,
    abi: Abi,
    functionName: string,
    args: unknown[],
    value?: bigint,
  ) => wallet(account).simulateContract({ address, abi, functionName, args, value, account } as never);
  return {
    reader,
    async send(
      account: PrivateKeyAccount,
      address: Address,
      abi: Abi,
      functionName: string,
      args: unknown[] = [],
      value?: bigint,
    ) {
      const { request, result } = await call(account, address, abi, functionName, args, value);
      const receipt = await reader.waitForTransactionReceipt({
        hash: await wallet(account).writeContract(request as never),
      });
      return { receipt, result: result as unknown };
    },
    /** `await reverts(...).toThrow(/ErrorName/)`: the call reverts with that custom error. */
    reverts(
      account: PrivateKeyAccount,
      address: Address,
      abi: Abi,
      functionName: string,
      args: unknown[] = [],
      value?: bigint,
    ) {
      return expect(call(account, address, abi, functionName, args, value)).rejects;
    },
    read(address: Address, abi: Abi, functionName: string, args: unknown[] = []) {
      return reader.readContract({ address, abi, functionName, args } as never) as Promise<unknown>;
    },
    async advance(seconds: bigint) {
      await test.increaseTime({ seconds: Number(seconds) });
      await test.mine({ blocks: 1 });
    },
  };
}
