/**
 * `npm test`: lint, typecheck, then the vitest projects. A fresh clone must build the ZK proving
 * keys once (minutes of CPU), and only the `zk` test project needs them, so the key build starts
 * first, at low priority, and runs beside lint, typecheck (single-threaded) and the `main`
 * project, whose integration tests spend much of their time waiting on anvil, child processes
 * and sockets. The `zk` project runs once both are done. Arguments are passed to both vitest runs
 * (`npm test -- libs/ir` runs the matching files of each project); lint and typecheck always run
 * whole. Lint (seconds) runs first and a failure stops the run before the tests; the typecheck
 * (~40 s of one core) runs beside the `main` project and a failure stops the tests at once.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const vitestArgs = process.argv.slice(2);

interface Running {
  readonly done: Promise<number>;
  /** Stops the command and everything it started (it runs in its own process group). */
  stop(): void;
}

/** `label`: prefix its output lines; `group`: give it a process group of its own (stop() ends all of it). */
function start(command: string, args: string[], label?: string, group = label !== undefined): Running {
  const child = spawn(command, args, {
    stdio: label ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    detached: group,
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
      process.kill(group ? -child.pid : child.pid, 'SIGTERM');
  };
  return { done, stop };
}

const run = (command: string, args: string[]) => start(command, args).done;
const vitest = (project: string) => run('npx', ['vitest', 'run', '--project', project, ...vitestArgs]);

const keys = start('nice', ['-n', '10', 'npm', 'run', '--silent', 'circuits:ensure'], 'circuits');
let typecheck: Running | undefined;
let mainRun: Running | undefined;
// The key build, the typecheck and the `main` tests have process groups of their own (so that
// each can be stopped whole), so Ctrl-C does not reach them: pass it on.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const running of [keys, typecheck, mainRun]) running?.stop();
    process.exit(130);
  });
}
const lint = await run('npm', ['run', '--silent', 'lint']);
if (lint !== 0) {
  console.error(`npm run lint failed (exit ${lint}): no tests run`);
  // Keys it finished stay in circuits/.cache (each is renamed into place whole) for the next run.
  keys.stop();
  process.exit(lint);
}
// The typecheck (~40 s of one core) runs beside the `main` project, whose first minutes wait on
// anvil and child processes; a type error stops the tests as soon as it is known.
typecheck = start('npm', ['run', '--silent', 'typecheck'], 'typecheck');
mainRun = start('npx', ['vitest', 'run', '--project', 'main', ...vitestArgs], undefined, true);
const typecheckCode = await typecheck.done;
if (typecheckCode !== 0) {
  console.error(`npm run typecheck failed (exit ${typecheckCode}): tests stopped`);
  mainRun.stop();
  keys.stop();
  process.exit(typecheckCode);
}
const main = await mainRun.done;
const keysBuilt = await keys.done;
if (keysBuilt !== 0) console.error(`circuits:ensure failed (exit ${keysBuilt}): the zk tests cannot run`);
const zk = keysBuilt === 0 ? await vitest('zk') : 1;
process.exit(main !== 0 ? main : zk);
