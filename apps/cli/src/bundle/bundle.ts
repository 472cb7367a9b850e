/**
 * The compiled `stoa`: every command started through tsx pays its loader hooks on each of the
 * ~2,000 modules a command loads (viem alone is 1,117), seconds of CPU per command. This bundles
 * src/main.ts and the workspace packages it imports into plain ESM under apps/cli/dist (one
 * chunk per lazily loaded command), leaving npm packages as imports Node loads without hooks.
 * bin/stoa.js runs it only while it is fresh (see ./fresh.ts); otherwise it runs the sources
 * through tsx as before.
 */
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { isFresh, MANIFEST, type Manifest } from '../../bin/fresh.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(CLI, 'dist');

/**
 * `import.meta.url` becomes the URL of the source file it is written in, so the ~25 files that
 * find assets, schemas and entry points relative to themselves find the same files from the
 * bundle. (`import.meta.resolve` resolves packages, which are hoisted to the root node_modules
 * and so resolve the same from apps/cli/dist.)
 */
const sourceUrls: Plugin = {
  name: 'stoa-source-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

/** npm packages stay imports (resolved by Node at run time); workspace sources are bundled. */
const externalPackages: Plugin = {
  name: 'stoa-external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'resolving' || args.path.startsWith('node:')) return undefined;
      const found = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'resolving',
      });
      if (found.errors.length > 0) return { errors: found.errors };
      // Workspace packages are symlinks in node_modules that esbuild resolves to their sources.
      return found.path.includes(`${'/'}node_modules/`) ? { path: args.path, external: true } : found;
    });
  },
};

/**
 * Builds apps/cli/dist unless it is fresh. Written to a temporary directory and renamed into
 * place, so a concurrent `stoa` never runs a half-written bundle.
 */
export async function bundleCli(options: { force?: boolean } = {}): Promise<'fresh' | 'built'> {
  if (!options.force && isFresh(DIST)) return 'fresh';
  const staging = `${DIST}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const result = await build({
    entryPoints: { main: join(CLI, 'src/main.ts') },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [externalPackages, sourceUrls],
  });
  const root = resolve(CLI, '../..');
  const inputs: Manifest['inputs'] = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(root, input);
    const { mtimeMs, size } = statSync(path);
    inputs[relative(DIST, path)] = [mtimeMs, size];
  }
  writeFileSync(join(staging, MANIFEST), JSON.stringify({ inputs } satisfies Manifest));
  rmSync(DIST, { recursive: true, force: true });
  renameSync(staging, DIST);
  return 'built';
}
