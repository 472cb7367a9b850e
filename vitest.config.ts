import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './scripts/longest-first.js';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time: most integration tests wait on anvil, child processes and sockets, so
    // the second worker roughly halves the wall time on CI's 2 cores.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
    // Compiles the `stoa` CLI once (unless fresh) before any test spawns it: ~4 s less CPU per command.
    globalSetup: ['scripts/cli-bundle.setup.ts'],
    // `zk` (files named *.zk.test.ts) needs the proving keys that `npm run circuits:ensure`
    // builds; scripts/test.ts runs `main` while they build. The circuits' witness tests need only
    // the committed witness generators, so they run in `main`.
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: [
            'apps/*/src/**/*.test.ts',
            'libs/*/src/**/*.test.ts',
            'examples/*/src/**/*.test.ts',
            'bench/src/**/*.test.ts',
            'images/*/src/**/*.test.ts',
            'contracts/ts/**/*.test.ts',
            'circuits/ts/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/*.zk.test.ts'],
        },
      },
      { extends: true, test: { name: 'zk', include: ['circuits/ts/**/*.zk.test.ts'] } },
    ],
  },
});
