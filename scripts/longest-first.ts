import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each of the slowest test files took in the last fresh-clone CI run on 2 cores
 * (`bash .ci/run`, 2026-11-29, session 26's merged tree, /work/ci-check.log). Update them when a
 * file's time changes a lot; files not named here run after these, in vitest's own order.
 */
const KNOWN_SECONDS: Readonly<Record<string, number>> = {
  'apps/console/src/browser.test.ts': 357,
  'apps/cli/src/newcomer.test.ts': 280,
  'images/node/src/image.test.ts': 194,
  'apps/cli/src/deploy-plan.test.ts': 125,
  'apps/gateway/src/fees.test.ts': 122,
  'examples/mnist/src/evaluate.test.ts': 116,
  'apps/cli/src/deploy-crash.test.ts': 106,
  'apps/gateway/src/gateway.test.ts': 104,
  'libs/dispute/src/attacks/simulation.test.ts': 81,
  'circuits/ts/circuits.test.ts': 71,
  'apps/node/src/node.test.ts': 61,
  // 149 s in session 27's run; an estimate since s28-cib cut its CPU from 90 s to 24 s.
  'libs/adapters/src/self-hosted/ssh.test.ts': 60,
  'libs/dispute/src/players.test.ts': 59,
  'apps/node/src/self-hosted.test.ts': 40,
  // 392 s in that run, stalled by the failure fixed since (playOut); 21-50 s passing.
  'apps/gateway/src/spot-check.test.ts': 35,
  'apps/node/src/load.test.ts': 34,
  'libs/adapters/src/self-hosted/local.test.ts': 29,
  'libs/dispute/src/attacks/concurrent-griefers.test.ts': 22,
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
