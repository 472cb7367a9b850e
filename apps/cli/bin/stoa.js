#!/usr/bin/env node
// Runs the compiled `stoa` (apps/cli/dist, src/bundle/bundle.ts) while it matches the sources.
// When it does not (a fresh clone, an edited source), it rebuilds it first (~3 s) and runs the
// new build; if that fails, it runs the TypeScript sources through tsx, which reports the error
// as before. Stale compiled code never runs. STOA_CLI_SOURCES=1 always runs the sources.
import { freshBuild } from './fresh.js';

const dist = new URL('../dist/', import.meta.url);
const sources = process.env.STOA_CLI_SOURCES === '1';
let build = sources ? undefined : freshBuild(dist.pathname);
if (!sources && !build) {
  // tsImport loads the bundler through tsx without hooking the modules the build then loads.
  const { tsImport } = await import('tsx/esm/api');
  try {
    const { bundleCli } = await tsImport('../src/bundle/bundle.ts', import.meta.url);
    build = (await bundleCli()).manifest;
  } catch (error) {
    console.error(`stoa: could not compile the CLI (${error.message}); running its sources`);
  }
}
if (build) await import(new URL(`builds/${build.build}/main.js`, dist).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
