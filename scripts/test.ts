/**
 * `npm test`: lint, typecheck, then the vitest projects. A fresh clone must build the ZK proving
 * keys once (minutes of CPU), and only the `zk` test project needs them, so the key build starts
 * first, at the lowest priority, and runs beside lint, typecheck (single-threaded) and the `main`
 * project, whose integration tests spend much of their time waiting on anvil, child processes
 * and sockets. The `zk` project runs once both are done. Arguments are passed to both vitest runs
 * (`npm test -- libs/ir` runs the matching files of each project); lint and typecheck always run
 * whole, and a failure of either stops the run before the tests.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const vitestArgs = process.argv.slice(2);

interface Running {
  readonly done: Promise<number>;
  readonly pid: number | undefined;
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
  return { done, stop, pid: child.pid };
}

/**
 * A detached command is a session of its own, and Linux (CONFIG_SCHED_AUTOGROUP, on in CI)
 * shares the CPU fairly between sessions first: its `nice` counted only inside that session, so
 * the key build took half the machine from the tests (~1,000 s of CPU beside `main` in CI).
 * Setting the session's own nice puts it behind them; it still has every idle moment.
 */
function lowerSessionPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, '19');
  } catch {
    // No autogroups here (another OS, or a kernel without them): `nice` alone already works.
  }
}

const run = (command: string, args: string[]) => start(command, args).done;
const vitest = (project: string) => run('npx', ['vitest', 'run', '--project', project, ...vitestArgs]);

const keys = start('nice', ['-n', '19', 'npm', 'run', '--silent', 'circuits:ensure'], 'circuits');
lowerSessionPriority(keys.pid);
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
// Whether the key build (at the lowest priority) kept the `zk` project waiting after `main`.
const waitStarted = performance.now();
const keysBuilt = await keys.done;
console.log(
  `[circuits] zk waited ${((performance.now() - waitStarted) / 1000).toFixed(0)} s for the keys after main`,
);
if (keysBuilt !== 0) console.error(`circuits:ensure failed (exit ${keysBuilt}): the zk tests cannot run`);
const zk = keysBuilt === 0 ? await vitest('zk') : 1;
process.exit(main !== 0 ? main : zk);
