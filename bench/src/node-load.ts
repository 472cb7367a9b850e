import { formatComparison, nodeLoadScenario } from '@stoa/node';

/**
 * The node's HTTP path (parse, hot-path inference, sign, journal) against the same work in-process:
 * the node driven as the gateway drives it (the calls of one turn coalesced into one batch
 * request) and, for reference, one inference per request.
 */
export async function nodeLoad(): Promise<void> {
  const seconds = Number(process.env.STOA_LOAD_SECONDS ?? 30);
  for (const concurrency of [4, 16]) {
    console.log(
      `\nMNIST CNN, ${concurrency} concurrent clients, ${seconds} s per path (interleaved 2 s slices), one node process on loopback; the HTTP clients coalesce the calls of one turn as the gateway does:\n`,
    );
    console.log(formatComparison(await nodeLoadScenario({ seconds, concurrency })));
  }
}
