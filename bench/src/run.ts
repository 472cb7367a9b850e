import { demandGas } from './demand-gas.js';
import { disputeGas } from './dispute-gas.js';
import { gatewayFramework } from './gateway-framework.js';
import { gatewayOverhead } from './gateway-overhead.js';
import { inputDecoding } from './input-decoding.js';
import { interpreterThroughput } from './interpreter-throughput.js';
import { nodeLoad } from './node-load.js';
import { onDemandTraces } from './on-demand.js';
import { settlementGas } from './settlement-gas.js';
import { tracedExecution } from './traced-execution.js';
import { zkProofs } from './zk.js';

const BENCHES: Record<string, () => void | Promise<void>> = {
  interpreter: interpreterThroughput,
  traced: tracedExecution,
  gas: disputeGas,
  demands: demandGas,
  settlement: settlementGas,
  'gateway-framework': gatewayFramework,
  gateway: gatewayOverhead,
  node: nodeLoad,
  inputs: inputDecoding,
  'on-demand': onDemandTraces,
  zk: zkProofs,
};

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(BENCHES);
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark '${name}'; available: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== ${name} ===\n`);
  await bench();
}
