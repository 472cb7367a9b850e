/**
 * vitest globalSetup: builds the compiled `stoa` (apps/cli/dist) before the tests that spawn it,
 * once per run and only when it is stale, so that no test file pays for (or races on) the build
 * from inside bin/stoa.js. Prints how long it took, for CI's log.
 */
import { bundleCli, DIST } from '../apps/cli/src/bundle/bundle.js';

export default async function setup(): Promise<void> {
  const started = Date.now();
  const { outcome } = await bundleCli();
  console.log(`[cli bundle] ${DIST}: ${outcome} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
