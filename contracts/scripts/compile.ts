import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ARTIFACTS_FILE, compileContracts, renderArtifacts } from '../ts/compile.js';

const contracts = compileContracts();
const rendered = renderArtifacts(contracts);
// `npm test` may run this (through circuits:ensure) while tests import the artifacts: an unchanged
// file is left alone and a changed one replaced by rename, so no reader sees it half-written.
let current = '';
try {
  current = readFileSync(ARTIFACTS_FILE, 'utf8');
} catch {}
if (current !== rendered) {
  writeFileSync(`${ARTIFACTS_FILE}.tmp`, rendered);
  renameSync(`${ARTIFACTS_FILE}.tmp`, ARTIFACTS_FILE);
}
console.log(
  `compiled ${contracts.map((c) => `${c.name} (${(c.bytecode.length - 2) / 2} bytes of init code)`).join(', ')} → ${ARTIFACTS_FILE}${current === rendered ? ' (unchanged)' : ''}`,
);
