/**
 * `npm run circuits:ensure` (part of `npm test`): the proving keys are too large to commit, so a
 * fresh clone builds them once (several minutes: the ceremony's `prepare phase2` dominates) into
 * the gitignored circuits/.cache. The build is deterministic, so it rewrites the committed
 * verifiers and verification keys byte for byte; when every key is already there, this is a
 * no-op.
 *
 * CI starts this early, while apt installs packages, and `npm test` starts it again: a lock on
 * circuits/.cache makes the second call wait for the first instead of building the same files
 * at the same time. A build that dies leaves a stale lock, which the next call takes over.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';
import { CACHE_DIR, hasProvingKey, readManifest } from '../ts/artifacts.js';

const LOCK = `${CACHE_DIR}build.lock`;
/** The lock's mtime is refreshed every UPDATE_MS while held; older than STALE_MS means its holder died. */
const STALE_MS = 30_000;
const UPDATE_MS = 5_000;

const missingKeys = () => readManifest().circuits.filter((c) => !hasProvingKey(c.name));

async function acquire(): Promise<() => Promise<void>> {
  const options = { lockfilePath: LOCK, stale: STALE_MS, update: UPDATE_MS, realpath: false };
  try {
    return await lockfile.lock(CACHE_DIR, options);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ELOCKED') throw error;
    console.log('circuits: a key build is already running: waiting for it');
    const started = Date.now();
    const release = await lockfile.lock(CACHE_DIR, {
      ...options,
      retries: { retries: 10_000, minTimeout: 2_000, maxTimeout: 2_000, factor: 1 },
    });
    console.log(`circuits: waited ${((Date.now() - started) / 1000).toFixed(0)} s for the other build`);
    return release;
  }
}

/** Runs the build as a child process, so this one's event loop keeps the lock fresh meanwhile. */
function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`circuits build failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

if (missingKeys().length === 0) {
  console.log('circuits: every proving key is in circuits/.cache');
} else {
  mkdirSync(CACHE_DIR, { recursive: true });
  const release = await acquire();
  try {
    const missing = missingKeys();
    if (missing.length === 0) {
      console.log('circuits: every proving key is in circuits/.cache');
    } else {
      console.log(
        `circuits: ${missing.length} proving keys missing (${missing.map((c) => c.name).join(', ')}): building them once (several minutes)`,
      );
      await build();
    }
  } finally {
    await release();
  }
}
