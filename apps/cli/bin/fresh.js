// Whether apps/cli/dist (the compiled `stoa`, src/bundle/bundle.ts) still matches its sources:
// every input it was built from (the bundled sources, the bundler itself, package.json files)
// still has the content it had then. Plain JavaScript, because bin/stoa.js asks before deciding
// whether it needs tsx at all. A file whose size and modification time are unchanged is taken as
// unchanged; one whose time changed (a checkout, a touch) is compared by its SHA-256.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const MANIFEST = 'manifest.json';

/** The SHA-256 of a file's bytes, hex. */
export function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The manifest of a fresh build of `dist`, or undefined when there is none or it is stale. */
export function freshBuild(dist) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dist, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
  for (const [path, [mtimeMs, size, hash]] of Object.entries(manifest.inputs)) {
    const file = resolve(dist, path);
    const now = statSync(file, { throwIfNoEntry: false });
    if (!now || now.size !== size) return undefined;
    if (now.mtimeMs !== mtimeMs && sha256(file) !== hash) return undefined;
  }
  return manifest;
}

export function isFresh(dist) {
  return freshBuild(dist) !== undefined;
}
