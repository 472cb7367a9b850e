import { formatComparison, nodeLoadScenario } from '@stoa/node';

/** The node's HTTP path (parse, hot-path inference, sign, journal) against the same work in-process. */
export async function nodeLoad(): Promise<void> {
  const seconds = Number(process.env.STOA_LOAD_SECONDS ?? 30);
  for (const concurrency of [4, 16]) {
    console.log(
      `\nMNIST CNN, ${concurrency} concurrent clients, ${seconds} s per path (interleaved 2 s slices), one node process on loopback:\n`,
    );
    console.log(formatComparison(await nodeLoadScenario({ seconds, concurrency })));
  }
}
