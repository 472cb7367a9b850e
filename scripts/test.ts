/**
 * `npm test` after lint and typecheck. A fresh clone must build the ZK proving keys once (minutes
 * of CPU), and only the `zk` test project needs them, so the key build runs at low priority beside
 * the `main` project, whose integration tests spend much of their time waiting on anvil, child
 * processes and sockets. The `zk` project runs once both are done. Arguments are passed to both
 * vitest runs (`npm test -- libs/ir` runs the matching files of each project).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const vitestArgs = process.argv.slice(2);

function run(command: string, args: string[], label?: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: label ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    if (label) {
      // Prefixed line by line so the build's progress stays readable between vitest's lines.
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream! }).on('line', (line) => console.log(`[${label}] ${line}`));
      }
    }
    child.on('error', (error) => {
      console.error(`${command}: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const vitest = (project: string) => run('npx', ['vitest', 'run', '--project', project, ...vitestArgs]);

const keys = run('nice', ['-n', '10', 'npm', 'run', '--silent', 'circuits:ensure'], 'circuits');
const main = await vitest('main');
const keysBuilt = await keys;
if (keysBuilt !== 0) console.error(`circuits:ensure failed (exit ${keysBuilt}): the zk tests cannot run`);
const zk = keysBuilt === 0 ? await vitest('zk') : 1;
process.exit(main !== 0 ? main : zk);
