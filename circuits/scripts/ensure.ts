/**
 * `npm run circuits:ensure` (part of `npm test`): the proving keys are too large to commit, so a
 * fresh clone builds them once (several minutes: the ceremony's `prepare phase2` dominates) into
 * the gitignored circuits/.cache. The build is deterministic, so it rewrites the committed
 * verifiers and verification keys byte for byte; when every key is already there, this is a
 * no-op.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasProvingKey, readManifest } from '../ts/artifacts.js';

const missing = readManifest().circuits.filter((c) => !hasProvingKey(c.name));
if (missing.length === 0) {
  console.log('circuits: every proving key is in circuits/.cache');
} else {
  console.log(
    `circuits: ${missing.length} proving keys missing (${missing.map((c) => c.name).join(', ')}): building them once (several minutes)`,
  );
  execFileSync('npm', ['run', 'build'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: 'inherit',
  });
}
