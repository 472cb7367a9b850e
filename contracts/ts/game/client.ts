import {
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type PrivateKeyAccount,
  parseEventLogs,
  publicActions,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { AccountNonces } from './nonces.js';

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

/** One decoded event of a mined transaction. */
export interface MinedEvent {
  readonly address: Address;
  readonly eventName: string;
  readonly args: Record<string, unknown>;
}

/**
 * The `name` event `address` emitted in a mined transaction, or an error naming the
 * transaction: ids (claims, disputes) are read from here, never from a simulation, which ran
 * against a state other transactions may have changed before this one was mined.
 */
export function emitted(
  sent: { readonly receipt: TransactionReceipt; readonly events: readonly MinedEvent[] },
  address: Address,
  name: string,
): Record<string, unknown> {
  const event = sent.events.find(
    (e) => e.eventName === name && e.address.toLowerCase() === address.toLowerCase(),
  );
  if (!event)
    throw new Error(`transaction ${sent.receipt.transactionHash} emitted no ${name} from ${address}`);
  return event.args;
}

/**
 * Untyped contract calls for nodes, watchers, scripts and benchmarks: every send is simulated
 * first, so a revert surfaces as an error naming the custom error. Sends from one account are
 * numbered here (its own nonces), so a party can have many transactions in flight at once and
 * wait for them concurrently. `advance` works on anvil only (the dev chain, the default).
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
  const nonces = new AccountNonces(reader);
  /**
   * Polls for the receipt itself. viem's waitForTransactionReceipt re-checks on new blocks; on
   * an automining chain the last transaction anyone sends is followed by no block, and a
   * waiter that looked a moment too early then waited out its 180 s timeout (a CI run: the last
   * of 25 concurrent FeeEscrow settles).
   */
  const minedReceipt = async (hash: Hex, timeoutMs = 180_000): Promise<TransactionReceipt> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await reader.getTransactionReceipt({ hash });
      } catch (error) {
        if (!(error instanceof TransactionReceiptNotFoundError)) throw error;
      }
      if (Date.now() > deadline)
        throw new Error(`transaction ${hash} was not mined within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /**
   * Simulates, estimates and submits, holding the account's nonce lock; returns the hash. A
   * caller that knows a bound on the gas (`gas`) skips the estimate: on anvil an estimate
   * re-executes the call a dozen times (1.7 s for a 500-receipt FeeEscrow settle).
   */
  const submit = (
    account: PrivateKeyAccount,
    address: Address,
    abi: Abi,
    functionName: string,
    args: unknown[],
    value?: bigint,
    gas?: bigint,
  ) =>
    nonces.next(account.address, async (nonce) => {
      const { request } = await simulate(account, address, abi, functionName, args, value);
      // An estimate is exact for the block it ran against; the transaction lands in the next
      // one, where a moved timestamp can turn a no-op storage write (a chess clock) into a real
      // one. The margin keeps that from running out of gas.
      const limit = gas ?? ((await reader.estimateContractGas(request as never)) * 5n) / 4n + 25_000n;
      return wallet(account).writeContract({ ...(request as object), nonce, gas: limit } as never);
    });
  return {
    reader,
    simulate,
    /**
     * Sends one transaction and waits until it is mined and visible to reads. Returns its
     * receipt and the events it emitted (decoded with `abi`); read ids with `emitted`. `gas`,
     * a known bound, replaces the estimate.
     */
    async send(
      account: PrivateKeyAccount,
      address: Address,
      abi: Abi,
      functionName: string,
      args: unknown[] = [],
      value?: bigint,
      gas?: bigint,
    ) {
      const hash = await submit(account, address, abi, functionName, args, value, gas);
      const receipt = await minedReceipt(hash);
      if (receipt.status !== 'success') {
        throw new Error(
          `${functionName} passed simulation but reverted on chain (transaction ${receipt.transactionHash}, gas used ${receipt.gasUsed})`,
        );
      }
      // A node may hand out a receipt a moment before its "latest" block includes it: wait, so
      // that the next read sees this transaction's effects.
      while ((await reader.getBlockNumber()) < receipt.blockNumber)
        await new Promise((r) => setTimeout(r, 20));
      const events = parseEventLogs({
        abi: abi as never,
        logs: receipt.logs,
        strict: false,
      }) as unknown as MinedEvent[];
      return { receipt, events };
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
