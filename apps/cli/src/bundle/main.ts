/** `npm run build -w @stoa/cli`: builds apps/cli/dist (the compiled `stoa`) unless it is fresh. */
import { bundleCli, DIST } from './bundle.js';

const started = Date.now();
const { outcome } = await bundleCli({ force: process.argv.includes('--force') });
console.log(`${DIST}: ${outcome} (${Date.now() - started} ms)`);
