#!/usr/bin/env node
// Runs the compiled `stoa` (apps/cli/dist, built by `npm run build -w @stoa/cli` and by the test
// setup) while it matches the sources; otherwise the TypeScript sources through tsx, so `npx stoa`
// works in a fresh clone without a build and never runs a stale bundle.
import { isFresh } from './fresh.js';

const dist = new URL('../dist/', import.meta.url);
if (process.env.STOA_CLI_SOURCES !== '1' && isFresh(dist.pathname)) {
  await import(new URL('main.js', dist).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
