/**
 * `npm test`: lint, typecheck, then the vitest projects. A fresh clone must build the ZK proving
 * keys once (minutes of CPU), and only the `zk` test project needs them, so the key build starts
 * first, at low priority, and runs beside lint, typecheck (single-threaded) and the `main`
 * project, whose integration tests spend much of their time waiting on anvil, child processes
 * and sockets. The `zk` project runs once both are done. Arguments are passed to both vitest runs
 * (`npm test -- libs/ir` runs the matching files of each project); lint and typecheck always run
 * whole, and a failure of either stops the run before the tests.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const vitestArgs = process.argv.slice(2);

interface Running {
  readonly done: Promise<number>;
  /** Stops the command and everything it started (it runs in its own process group). */
  stop(): void;
}

function start(command: string, args: string[], label?: string): Running {
  const child = spawn(command, args, {
    stdio: label ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    detached: label !== undefined,
  });
  if (label) {
    // Prefixed line by line so the build's progress stays readable between vitest's lines.
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => console.log(`[${label}] ${line}`));
    }
  }
  const done = new Promise<number>((resolve) => {
    child.on('error', (error) => {
      console.error(`${command}: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  const stop = () => {
    if (child.pid !== undefined && child.exitCode === null)
      process.kill(label ? -child.pid : child.pid, 'SIGTERM');
  };
  return { done, stop };
}

const run = (command: string, args: string[]) => start(command, args).done;
const vitest = (project: string) => run('npx', ['vitest', 'run', '--project', project, ...vitestArgs]);

// Detached, the build is a session of its own, and with autogroups (on in CI's kernel) Linux shares
// the CPU between sessions first: `nice` counts only inside it, so it takes about one core of two
// while the tests want both (measured, docs/decisions.md "CI time, s26-ci"). Kept so: it ends
// ~450-490 s before `main`, and on CPU-bound cores a lower share would only move its ~1,000 s of CPU
// later, at the risk of `zk` waiting for it.
const keys = start('nice', ['-n', '10', 'npm', 'run', '--silent', 'circuits:ensure'], 'circuits');
// The key build has its own process group, so Ctrl-C does not reach it: pass it on.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    keys.stop();
    process.exit(130);
  });
}
for (const check of ['lint', 'typecheck']) {
  const code = await run('npm', ['run', '--silent', check]);
  if (code !== 0) {
    console.error(`npm run ${check} failed (exit ${code}): no tests run`);
    // Keys it finished stay in circuits/.cache (each is renamed into place whole) for the next run.
    keys.stop();
    process.exit(code);
  }
}
const main = await vitest('main');
// Whether the key build kept the `zk` project waiting after `main` (it shares the CPU with it).
const waitStarted = performance.now();
const keysBuilt = await keys.done;
console.log(
  `[circuits] zk waited ${((performance.now() - waitStarted) / 1000).toFixed(0)} s for the keys after main`,
);
if (keysBuilt !== 0) console.error(`circuits:ensure failed (exit ${keysBuilt}): the zk tests cannot run`);
const zk = keysBuilt === 0 ? await vitest('zk') : 1;
process.exit(main !== 0 ? main : zk);
