import type { Address, Hex, PrivateKeyAccount } from 'viem';
import { afterAll, beforeAll, expect } from 'vitest';
import { type LocalChain, startAnvil } from '../anvil.js';
import { chainClient, DEV_ACCOUNTS } from '../game/client.js';

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

/**
 * A test file's own anvil: started before its tests, with `artifact` (when given) deployed from
 * the first dev account, and stopped after them. The fields are set once `beforeAll` has run.
 */
export function anvilFixture(artifact?: { abi: Abi; bytecode: Hex }) {
  const fixture = {} as { chain: LocalChain; h: ReturnType<typeof chainHarness>; address: Address };
  beforeAll(async () => {
    fixture.chain = await startAnvil();
    fixture.h = chainHarness(fixture.chain);
    if (artifact) fixture.address = await fixture.h.deploy(DEV_ACCOUNTS[0], artifact, []);
  });
  afterAll(async () => {
    await fixture.chain?.stop();
  });
  return fixture;
}
