import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sq } from './hosts.js';
import { aliveCheck, launchScript } from './process-scripts.js';

const sh = async (script: string) => (await promisify(execFile)('sh', ['-c', script])).stdout;
const verdicts = (pid: string, id: string, rounds: number) =>
  `i=0; while [ $i -lt ${rounds} ]; do if ${aliveCheck(pid, id)}; then echo alive; else echo dead; fi; i=$((i+1)); done`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stoa-proc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('launchScript and aliveCheck', () => {
  it('never report a starting node dead: from the fork, through both execs, until it exits', async () => {
    for (let run = 0; run < 3; run++) {
      const id = `dep-${run}`;
      const launch = launchScript({
        cwd: dir,
        command: [process.execPath, '-e', 'setTimeout(() => {}, 600)'],
        env: { STOA_SECRET: "it's private" },
        deploymentId: id,
        envFile: join(dir, `env-${run}`),
        logFile: join(dir, `log-${run}`),
        pidFile: join(dir, `pid-${run}`),
      });
      // The checks start the moment the pid is known, while the subshell is still sourcing its
      // environment and exec'ing setsid, and go on until well after the node has exited.
      const out = await sh(
        `p=$(${launch}); echo "$p"; ${verdicts('"$p"', id, 60)}; ` +
          `i=0; while [ $i -lt 100 ] && ${aliveCheck('"$p"', id)}; do sleep 0.05; i=$((i+1)); done; ` +
          verdicts('"$p"', id, 1),
      );
      const [pid, ...seen] = out.trim().split('\n');
      expect(Number(pid)).toBeGreaterThan(0);
      expect((await readFile(join(dir, `pid-${run}`), 'utf8')).trim()).toBe(pid);
      const firstDead = seen.indexOf('dead');
      expect(firstDead, `run ${run}: ${seen.join(' ')}`).toBeGreaterThan(0);
      expect(
        seen.slice(firstDead).every((v) => v === 'dead'),
        `run ${run}: ${seen.join(' ')}`,
      ).toBe(true);
      expect(seen.at(-1)).toBe('dead');
    }
  });

  it('keeps the environment out of the arguments and deletes its file', async () => {
    const launch = launchScript({
      cwd: dir,
      command: ['sh', '-c', 'echo "$STOA_SECRET/$STOA_DEPLOYMENT_ID"; cat /proc/$$/cmdline | tr "\\0" " "'],
      env: { STOA_SECRET: "it's private" },
      deploymentId: 'dep-env',
      envFile: join(dir, 'env-x'),
      logFile: join(dir, 'log-x'),
      pidFile: join(dir, 'pid-x'),
    });
    await sh(`p=$(${launch}); while kill -0 "$p" 2>/dev/null; do sleep 0.05; done`);
    const [line, cmdline] = (await readFile(join(dir, 'log-x'), 'utf8')).split('\n');
    expect(line).toBe("it's private/dep-env");
    expect(cmdline).not.toContain('private');
    await expect(readFile(join(dir, 'env-x'))).rejects.toThrow(/ENOENT/);
  });

  // (Each process is given time to exec first: inside execve its environment reads empty.)
  it('reports dead a process of another deployment, one without the marker, and a zombie', async () => {
    const other = await sh(
      `STOA_DEPLOYMENT_ID=other sleep 2 & p=$!; sleep 0.2; ${verdicts('"$p"', 'mine', 1)}; ${verdicts('"$p"', 'other', 1)}; kill $p`,
    );
    expect(other.trim().split('\n')).toEqual(['dead', 'alive']);
    const unmarked = await sh(`sleep 2 & p=$!; sleep 0.2; ${verdicts('"$p"', 'mine', 1)}; kill $p`);
    expect(unmarked.trim()).toBe('dead');
    // The child's parent execs into a process that never waits: the child stays a zombie.
    const zombie = await sh(
      `sh -c ${sq(`STOA_DEPLOYMENT_ID=z sleep 0 & echo $! > ${join(dir, 'zpid')}; exec sleep 2`)} & parent=$!; ` +
        `sleep 0.5; p=$(cat ${sq(join(dir, 'zpid'))}); grep -o ') Z ' /proc/$p/stat; ${verdicts('"$p"', 'z', 1)}; kill $parent`,
    );
    expect(zombie.trim().split('\n')).toEqual([') Z ', 'dead']);
  });
});
