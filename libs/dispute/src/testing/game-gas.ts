import { disputeGameArtifact, type ExecutionView, type LocalChain } from '@stoa/contracts';
import { decodeFunctionData, type Hex } from 'viem';
import { TestNetwork } from './network.js';

/** What a played dispute cost: DisputeGame transactions in blocks after `afterBlock`, gas in all and the largest. */
export interface GameGas {
  readonly transactions: number;
  readonly gas: bigint;
  readonly largest: bigint;
  /** The DisputeGame function of the largest transaction. */
  readonly largestCall: string;
  /** Transactions per DisputeGame function (the bisection moves are the game's rounds). */
  readonly calls: Readonly<Record<string, number>>;
}

/** Sums the receipts of every transaction sent to the network's DisputeGame after `afterBlock`. */
export async function disputeGameGas(net: TestNetwork, afterBlock: bigint): Promise<GameGas> {
  const { reader } = net.client;
  const game = net.fixture.at.disputeGame.toLowerCase();
  const last = await reader.getBlockNumber();
  let [transactions, gas, largest, largestCall] = [0, 0n, 0n, ''];
  const calls: Record<string, number> = {};
  for (let n = afterBlock + 1n; n <= last; n++) {
    const block = await reader.getBlock({ blockNumber: n });
    for (const hash of block.transactions as readonly Hex[]) {
      const receipt = await reader.getTransactionReceipt({ hash });
      if (receipt.to?.toLowerCase() !== game) continue;
      transactions++;
      const { input } = await reader.getTransaction({ hash });
      const { functionName } = decodeFunctionData({ abi: disputeGameArtifact.abi, data: input });
      calls[functionName] = (calls[functionName] ?? 0) + 1;
      gas += receipt.gasUsed;
      if (receipt.gasUsed > largest) [largest, largestCall] = [receipt.gasUsed, functionName];
    }
  }
  return { transactions, gas, largest, largestCall, calls };
}

/** How a played-out dispute over one faulty answer ended, and what it cost. */
export interface PlayedFault extends GameGas {
  /** The node's bonded stake before the dispute minus after it. */
  readonly slashed: bigint;
  readonly reasons: readonly string[];
}

/**
 * A node answers with `faulty` (a whole execution view, e.g. from `perturbValue`) on a fresh
 * TestNetwork, its claim is posted, and the defender and the watcher play the game to the end.
 */
export async function playFaultyAnswer(
  chain: LocalChain,
  faulty: ExecutionView,
  clockSeconds: bigint,
): Promise<PlayedFault> {
  const net = await TestNetwork.start(chain, faulty.model, { clockSeconds });
  try {
    await net.answer(faulty, 1n);
    await net.claimer.flush();
    const stake = await net.bonded();
    const first = await net.client.reader.getBlockNumber();
    await net.settle(await net.defender(), await net.watcher());
    const gas = await disputeGameGas(net, first);
    return { ...gas, slashed: stake - (await net.bonded()), reasons: await net.resolutionReasons() };
  } finally {
    await net.stop();
  }
}
