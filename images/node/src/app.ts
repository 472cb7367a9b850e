/**
 * The app layer: the node's workspace and the workspaces it depends on (sources, no tests),
 * with their production dependencies installed by `npm ci --omit=dev` from a lockfile cut
 * down to them, then stripped of other platforms' native binaries.
 */
import { createHash } from 'node:crypto';
import { access, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pruneLock, withoutDevDependencies } from './prune-lock.js';
import { RECIPE } from './recipe.js';
import { runCommand } from './run-command.js';
import { directoryEntries, type LayerEntry } from './tar-layer.js';

/** Native binaries published for every platform; the image is linux/x64. */
function keepInstalledPath(path: string): boolean {
  if (/(^|\/)\.bin(\/|$)/.test(path)) return false; // links npm makes for package scripts
  if (/^node_modules\/onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32|linux\/arm64)(\/|$)/.test(path))
    return false;
  if (/\/prebuilds\/(darwin|win32|linux-arm|android|ios)[^/]*(\/|$)/.test(path)) return false;
  return true;
}

function keepSourcePath(path: string): boolean {
  return !/(^|\/)(node_modules|\.nx|dist|coverage)(\/|$)/.test(path) && !/\.test\.ts$/.test(path);
}

async function stage(repo: string, staging: string): Promise<{ workspaces: string[]; lockDigest: string }> {
  const lock = JSON.parse(await readFile(join(repo, 'package-lock.json'), 'utf8'));
  const { lock: pruned, workspaces } = pruneLock(lock, RECIPE.app.workspace);
  const rootManifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8'));
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const lockText = json(pruned);
  await writeFile(join(staging, 'package-lock.json'), lockText);
  await writeFile(
    join(staging, 'package.json'),
    json({
      name: rootManifest.name,
      version: rootManifest.version,
      private: true,
      type: 'module',
      workspaces,
    }),
  );
  for (const workspace of workspaces) {
    await cp(join(repo, workspace), join(staging, workspace), {
      recursive: true,
      filter: (source) => keepSourcePath(source.slice(repo.length + 1)),
    });
    const manifest = JSON.parse(await readFile(join(repo, workspace, 'package.json'), 'utf8'));
    await writeFile(join(staging, workspace, 'package.json'), json(withoutDevDependencies(manifest)));
  }
  return { workspaces, lockDigest: createHash('sha256').update(lockText).digest('hex') };
}

/** How the app's dependencies are installed. */
export interface InstallOptions {
  /** Where installs are kept, by the digest of the cut lockfile. */
  cache: string;
  /**
   * `fresh` (the default) always runs `npm ci` (and refreshes the kept install); `reuse` takes
   * the kept install of the same lockfile when there is one (tests use it for their second build).
   */
  mode?: 'fresh' | 'reuse';
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function install(staging: string, lockDigest: string, options: InstallOptions): Promise<void> {
  const kept = join(options.cache, lockDigest, 'node_modules');
  if (options.mode === 'reuse' && (await exists(kept))) {
    await cp(kept, join(staging, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    return;
  }
  await runCommand(
    'app (npm ci --omit=dev)',
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { cwd: staging },
  );
  // npm's record of this install is not needed at run time.
  await rm(join(staging, 'node_modules', '.package-lock.json'), { force: true });
  await rm(join(options.cache, lockDigest), { recursive: true, force: true });
  await mkdir(join(options.cache, lockDigest), { recursive: true });
  await cp(join(staging, 'node_modules'), `${kept}.partial`, { recursive: true, verbatimSymlinks: true });
  await rename(`${kept}.partial`, kept);
}

/**
 * Stages the app in `staging` and installs it; `npm ci` reads packages from the npm cache
 * when they are there (`--prefer-offline`) and runs no install scripts (onnxruntime's would
 * download its CUDA provider: only the GPU variant's own layer carries that).
 */
export async function appEntries(
  repo: string,
  staging: string,
  options: InstallOptions,
): Promise<{ entries: LayerEntry[]; workspaces: string[] }> {
  const { workspaces, lockDigest } = await stage(repo, staging);
  await install(staging, lockDigest, options);
  const entries = await directoryEntries(staging, RECIPE.app.dir, keepInstalledPath);
  return { entries, workspaces };
}
