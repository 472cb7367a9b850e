// Whether apps/cli/dist (the compiled `stoa`, src/bundle/bundle.ts) still matches its sources:
// every input file it was built from has the size and modification time it had then. Plain
// JavaScript, because bin/stoa.js asks before deciding whether it needs tsx at all.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const MANIFEST = 'manifest.json';

export function isFresh(dist) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dist, MANIFEST), 'utf8'));
  } catch {
    return false;
  }
  for (const [path, [mtimeMs, size]] of Object.entries(manifest.inputs)) {
    const now = statSync(resolve(dist, path), { throwIfNoEntry: false });
    if (!now || now.mtimeMs !== mtimeMs || now.size !== size) return false;
  }
  return true;
}
