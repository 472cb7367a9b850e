import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each of the slowest test files took in the last fresh-clone CI run on 2 cores
 * (`bash .ci/run`, 2026-11-29, session 29's merged tree: 1,296 s in all). Update them when a
 * file's time changes a lot; files not named here run after these, in vitest's own order.
 */
const KNOWN_SECONDS: Readonly<Record<string, number>> = {
  'apps/console/src/browser.test.ts': 253,
  'apps/cli/src/newcomer.test.ts': 167,
  'images/node/src/image.test.ts': 141,
  'apps/cli/src/deploy-plan.test.ts': 79,
  'apps/cli/src/deploy-crash.test.ts': 74,
  'apps/gateway/src/fees.test.ts': 73,
  'apps/gateway/src/client-challenge.test.ts': 64,
  'libs/dispute/src/players.test.ts': 61,
  'apps/gateway/src/gateway.test.ts': 61,
  'examples/mnist/src/evaluate.test.ts': 51,
  'circuits/ts/circuits.test.ts': 48,
  'libs/dispute/src/attacks/simulation.test.ts': 41,
  'apps/node/src/load.test.ts': 30,
  'apps/gateway/src/openai/openai-nodes.test.ts': 29,
  'apps/cli/src/dev/nodes.test.ts': 29,
  'libs/adapters/src/self-hosted/local.test.ts': 28,
  'contracts/ts/dispute-game.test.ts': 28,
  'apps/gateway/src/spot-check.test.ts': 28,
  'apps/node/src/self-hosted.test.ts': 25,
  'contracts/ts/tile-kernels.test.ts': 24,
};

/**
 * Starts the longest files first. With two workers and no result cache (a fresh CI checkout),
 * vitest's default order started the 450 s newcomer test 22nd and the 150 s crash test 79th,
 * leaving one worker busy alone at the end; longest-first keeps the two finishing together.
 */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const seconds = (spec: TestSpecification) => {
      const path = spec.moduleId.slice(this.ctx.config.root.length + 1);
      return KNOWN_SECONDS[path] ?? 0;
    };
    // Projects keep vitest's order; inside each, known-long files first (a stable sort keeps
    // vitest's order among the rest).
    const projects = [...new Set(base.map((spec) => spec.project.name))];
    return projects.flatMap((name) =>
      base.filter((spec) => spec.project.name === name).sort((a, b) => seconds(b) - seconds(a)),
    );
  }
}
