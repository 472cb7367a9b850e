#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so `npx stoa` works in a fresh clone without a build.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
