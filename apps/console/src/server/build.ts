import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONSOLE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_ID = join(CONSOLE_DIR, '.next', 'BUILD_ID');
const LOCK = join(CONSOLE_DIR, '.next-build-lock');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const fresh = () =>
  existsSync(BUILD_ID) &&
  statSync(BUILD_ID).mtimeMs >
    Math.max(newestSource(join(CONSOLE_DIR, 'src', 'app')), newestSource(join(CONSOLE_DIR, 'src', 'client')));

/**
 * Runs `next build` unless the build is newer than every page and client file. Test files that
 * start the console call it; a lock directory makes concurrent callers wait for one build.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  for (;;) {
    if (fresh()) return;
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A build killed mid-way leaves the lock behind; no build takes five minutes.
      if (existsSync(LOCK) && statSync(LOCK).mtimeMs < Date.now() - 300_000) rmdirSync(LOCK);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    if (fresh()) return;
    const build = spawnSync('npx', ['next', 'build'], {
      cwd: CONSOLE_DIR,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`next build failed:\n${build.stdout}\n${build.stderr}`);
  } finally {
    rmdirSync(LOCK);
  }
}
