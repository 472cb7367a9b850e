import type { Address, PrivateKeyAccount } from 'viem';
import { expect } from 'vitest';
import type { LocalChain } from '../anvil.js';
import { chainClient } from '../game/client.js';

export { DEV_ACCOUNTS } from '../game/client.js';

type Abi = readonly unknown[];

/** The dev chain client plus `reverts`, for tests on a real anvil node. */
export function chainHarness(chain: LocalChain) {
  const client = chainClient(chain.rpcUrl);
  return {
    ...client,
    /** `await reverts(...).toThrow(/ErrorName/)`: the call reverts with that custom error. */
    reverts(
      account: PrivateKeyAccount,
      address: Address,
      abi: Abi,
      functionName: string,
      args: unknown[] = [],
      value?: bigint,
    ) {
      return expect(client.simulate(account, address, abi, functionName, args, value)).rejects;
    },
  };
}
