import { writeFileSync } from 'node:fs';
import { ARTIFACTS_FILE, compileContracts, renderArtifacts } from '../ts/compile.js';

const contracts = compileContracts();
writeFileSync(ARTIFACTS_FILE, renderArtifacts(contracts));
console.log(
  `compiled ${contracts.map((c) => `${c.name} (${(c.bytecode.length - 2) / 2} bytes)`).join(', ')} → ${ARTIFACTS_FILE}`,
);
