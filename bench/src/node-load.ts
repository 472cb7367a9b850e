import { formatComparison, nodeLoadScenario } from '@stoa/node';

/** The node's HTTP path (parse, execute, trace, sign, journal) against the executor in-process. */
export async function nodeLoad(): Promise<void> {
  console.log('MNIST CNN, 4 concurrent clients, 30 s against one node process on loopback:\n');
  console.log(formatComparison(await nodeLoadScenario({ seconds: 30, concurrency: 4 })));
}
