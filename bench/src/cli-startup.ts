import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Start-up of the compiled `stoa`: wall and CPU seconds (user + sys of the command's process and
 * its children) per command, the median of `STOA_BENCH_ROUNDS` (default 5) runs. With
 * `STOA_CLI_BASELINE=<another checkout>`, that checkout's `stoa` runs each command in turn with
 * this one's, so both see the same load (A/B). `stoa dev` is timed to its first line of output.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Sample {
  wall: number;
  cpu: number;
}

/** One run under bash, whose `times` prints the children's user and sys time after it exits. */
function timed(stoa: string, args: string[], cwd: string): Sample {
  const started = performance.now();
  const result = spawnSync(
    'bash',
    ['-c', '"$@" >/dev/null 2>&1; times', 'bash', process.execPath, stoa, ...args],
    { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
  const wall = (performance.now() - started) / 1000;
  const children = result.stdout.trim().split('\n')[1] ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2) throw new Error(`cli-startup: no times from bash for ${args.join(' ')}`);
  return { wall, cpu: seconds[0]! + seconds[1]! };
}

/** Until the first byte on stdout: wall, and the process's CPU then (from /proc); then Ctrl-C. */
async function firstOutput(stoa: string, args: string[], cwd: string): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, [stoa, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const sample = await new Promise<Sample>((done, fail) => {
    child.once('error', fail);
    child.stdout.once('data', () => {
      const wall = (performance.now() - started) / 1000;
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second).
      done({ wall, cpu: (Number(fields[11]) + Number(fields[12])) / 100 });
    });
  });
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGINT');
  await exited;
  return sample;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function cliStartup(): Promise<void> {
  const rounds = Number(process.env.STOA_BENCH_ROUNDS ?? 5);
  const checkouts = [
    ...(process.env.STOA_CLI_BASELINE ? [['baseline', resolve(process.env.STOA_CLI_BASELINE)]] : []),
    ['this', ROOT],
  ] as const;
  const stoaOf = (root: string) => join(root, 'apps/cli/bin/stoa.js');
  const work = mkdtempSync(join(tmpdir(), 'stoa-cli-bench-'));
  try {
    // Each checkout builds its compiled `stoa` if stale, and gets a project of its own.
    for (const [name, root] of checkouts) {
      timed(stoaOf(root), ['--version'], work);
      timed(stoaOf(root), ['init', join(work, name)], work);
    }
    const commands: { label: string; args: (dir: string) => string[]; inProject?: boolean; dev?: boolean }[] =
      [
        { label: 'stoa --version', args: () => ['--version'] },
        { label: 'stoa --help', args: () => ['--help'] },
        { label: 'stoa keys --help', args: () => ['keys', '--help'] },
        {
          label: 'stoa init <dir>',
          args: (dir) => ['init', join(dir, `init-${Math.random().toString(36).slice(2)}`)],
        },
        { label: 'stoa keys list (project)', args: () => ['keys', 'list'], inProject: true },
        { label: 'stoa status (no deployment)', args: () => ['status'], inProject: true },
        { label: 'stoa quote (self-hosted)', args: () => ['quote'], inProject: true },
        { label: 'stoa dev: first line', args: () => ['dev', '--no-console'], dev: true },
      ];
    console.log(
      `load average at start: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')}; ${rounds} rounds, medians`,
    );
    console.log(
      `${'command'.padEnd(30)}${checkouts.map(([n]) => `${`${n} wall`.padStart(15)}${`${n} CPU`.padStart(14)}`).join('')}`,
    );
    for (const command of commands) {
      const samples = checkouts.map(() => [] as Sample[]);
      for (let round = 0; round < rounds; round++) {
        for (const [i, [name, root]] of checkouts.entries()) {
          const cwd = command.inProject ? join(work, name) : work;
          const args = command.args(join(work, name));
          samples[i]!.push(
            command.dev ? await firstOutput(stoaOf(root), args, cwd) : timed(stoaOf(root), args, cwd),
          );
        }
      }
      const cells = samples.map(
        (s) =>
          `${`${median(s.map((x) => x.wall)).toFixed(2)} s`.padStart(15)}${`${median(s.map((x) => x.cpu)).toFixed(2)} s`.padStart(14)}`,
      );
      console.log(`${command.label.padEnd(30)}${cells.join('')}`);
    }
    console.log(
      `load average at end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
