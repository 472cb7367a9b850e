import { availableParallelism, loadavg } from 'node:os';
import { formatComparison, mustShow4, nodeLoadScenario } from '@stoa/node';

/**
 * The node's HTTP path (parse, hot-path inference, sign, journal) against the same work in-process:
 * the node driven as the gateway drives it by default (the calls of one turn coalesced into batch
 * requests, two in flight, never split below 4) and, for reference, with one batch in flight and
 * with one inference per request. Ends with issue 14's must-show 4 verdict per concurrency and
 * the load average.
 */
export async function nodeLoad(): Promise<void> {
  const seconds = Number(process.env.STOA_LOAD_SECONDS ?? 30);
  const verdicts: string[] = [];
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  for (const concurrency of [4, 16]) {
    console.log(
      `\nMNIST CNN, ${concurrency} concurrent clients, ${seconds} s per path (interleaved 2 s slices), one node process on loopback; the HTTP clients coalesce the calls of one turn as the gateway does by default (two batches in flight, never split below 4) (load average before: ${load()}):\n`,
    );
    const result = await nodeLoadScenario({ seconds, concurrency });
    console.log(formatComparison(result));
    verdicts.push(mustShow4(result).line);
  }
  console.log(
    `\n${verdicts.join('\n')}\nload average (1, 5, 15 min) at the end: ${load()} on ${availableParallelism()} cores`,
  );
}
