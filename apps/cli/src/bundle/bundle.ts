/**
 * The compiled `stoa`: every command started through tsx pays its loader hooks on each of the
 * ~2,000 modules a command loads (viem alone is 1,117), seconds of CPU per command. This bundles
 * src/main.ts and the workspace packages it imports into plain ESM under apps/cli/dist (one
 * chunk per lazily loaded command), leaving npm packages as imports Node loads without hooks.
 * bin/stoa.js runs it only while it is fresh (bin/fresh.js); otherwise it rebuilds it first.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { freshBuild, MANIFEST, type Manifest, sha256 } from '../../bin/fresh.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROOT = resolve(CLI, '../..');
export const DIST = join(CLI, 'dist');
const BUILDS = join(DIST, 'builds');
/** Builds older than this are removed by the next build; a running `stoa` may still load its chunks. */
const KEEP_OLD_BUILDS_MS = 60 * 60_000;

/**
 * `import.meta.url` becomes the URL of the source file it is written in, so the files that find
 * assets, schemas and entry points relative to themselves find the same files from the bundle.
 * (`import.meta.resolve` resolves packages, which are hoisted to the root node_modules and so
 * resolve the same from apps/cli/dist; `externalPackages` checks that.)
 */
/**
 * `import.meta.url` in code, not inside quotes: apps/cli/src/dev/bundle.ts names it in a string
 * to rewrite it in `stoa dev`'s own bundles, and rewriting that string too left the gateway
 * `stoa dev` bundles looking for its database schema beside the bundle (s26-ci).
 */
const IMPORT_META_URL = /(?<!['"`])\bimport\.meta\.url\b(?!['"`])/g;

const sourceUrls: Plugin = {
  name: 'stoa-source-urls',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return {
        contents: text.replace(IMPORT_META_URL, url),
        loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js',
      };
    });
  },
};

/**
 * npm packages stay imports, resolved by Node at run time from apps/cli/dist, which finds the
 * same hoisted copy the sources find. A package installed nested (e.g. apps/gateway/node_modules)
 * is imported by its absolute path, so the bundle never picks up a different version.
 */
/**
 * Pure-JavaScript packages bundled all the same: viem alone is 1,117 ES modules, each resolved
 * and compiled on its own when external (~0.7 s of CPU per command, docs/decisions.md).
 */
const BUNDLED_PACKAGES = [
  'viem',
  'ox',
  'abitype',
  '@noble/curves',
  '@noble/hashes',
  '@scure/bip32',
  '@scure/bip39',
  '@scure/base',
];

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
      if (!found.path.includes('/node_modules/')) return found;
      if (BUNDLED_PACKAGES.some((name) => args.path === name || args.path.startsWith(`${name}/`)))
        return found;
      const modules = `${join(ROOT, 'node_modules')}/`;
      const hoisted =
        found.path.startsWith(modules) && !found.path.slice(modules.length).includes('/node_modules/');
      return hoisted
        ? { path: args.path, external: true }
        : { path: pathToFileURL(found.path).href, external: true };
    });
  },
};

/** Files beyond the bundled sources whose change must rebuild: the bundler and the manifests. */
function extraInputs(sources: string[]): string[] {
  const packages = new Set<string>();
  for (const source of sources) {
    for (let dir = dirname(source); dir.startsWith(ROOT) && dir !== ROOT; dir = dirname(dir)) {
      if (existsSync(join(dir, 'package.json'))) {
        packages.add(join(dir, 'package.json'));
        break;
      }
    }
  }
  const own = ['src/bundle/bundle.ts', 'bin/fresh.js', 'bin/stoa.js'].map((path) => join(CLI, path));
  return [...packages, ...own, join(ROOT, 'tsconfig.json')];
}

/**
 * Which sources each file of a build holds (paths relative to the repository), written beside
 * it as outputs.json: what a command loaded, from the files Node loaded (apps/cli/src/bundle/bundle.test.ts).
 */
export const OUTPUTS = 'outputs.json';
export type Outputs = Record<string, string[]>;

function outputsOf(metafile: Metafile, outdir: string): Outputs {
  const outputs: Outputs = {};
  for (const [file, { inputs }] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('.js')) continue;
    outputs[relative(outdir, resolve(file))] = Object.keys(inputs).map((input) =>
      relative(ROOT, resolve(input)),
    );
  }
  return outputs;
}

function removeOldBuilds(current: string): void {
  if (!existsSync(BUILDS)) return;
  for (const name of readdirSync(BUILDS)) {
    const path = join(BUILDS, name);
    if (name !== current && Date.now() - statSync(path).mtimeMs > KEEP_OLD_BUILDS_MS)
      rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Builds apps/cli/dist unless it is fresh. Each build gets its own folder under dist/builds and
 * the manifest naming it is renamed into place last, so a concurrent `stoa` runs either the old
 * build or the new one whole, never a mix.
 */
export async function bundleCli(
  options: { force?: boolean } = {},
): Promise<{ outcome: 'fresh' | 'built'; manifest: Manifest }> {
  const current = options.force ? undefined : freshBuild(DIST);
  if (current) return { outcome: 'fresh', manifest: current };
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const outdir = join(BUILDS, id);
  mkdirSync(outdir, { recursive: true });
  const common = {
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [externalPackages, sourceUrls],
  } satisfies BuildOptions;
  const nodeMain = join(outdir, 'node', 'main.js');
  const [cli, node] = await Promise.all([
    build({
      ...common,
      // The SDK is an entry of its own, sharing chunks with the commands: a project's
      // stoa.config.ts imports `@stoa/sdk`, which the config loader resolves to it
      // (libs/sdk/src/config/load.ts).
      entryPoints: { main: join(CLI, 'src/main.ts'), sdk: join(ROOT, 'libs/sdk/src/index.ts') },
      define: {
        STOA_COMPILED_SDK_URL: JSON.stringify(pathToFileURL(join(outdir, 'sdk.js')).href),
        STOA_COMPILED_NODE_MAIN: JSON.stringify(nodeMain),
      },
      outdir,
      splitting: true,
    }),
    // The node self-hosted deployments start (libs/sdk/src/deploy/network-adapters.ts): one file
    // with no chunks, all loaded when it starts, so a node outlives the removal of its build.
    build({ ...common, entryPoints: [join(ROOT, 'apps/node/src/main.ts')], outfile: nodeMain }),
  ]);
  writeFileSync(join(outdir, OUTPUTS), JSON.stringify(outputsOf(cli.metafile, outdir)));
  const sources = [
    ...new Set([...Object.keys(cli.metafile.inputs), ...Object.keys(node.metafile.inputs)]),
  ].map((input) => resolve(ROOT, input));
  const inputs: Record<string, [number, number, string]> = {};
  for (const path of [...sources, ...extraInputs(sources)]) {
    const { mtimeMs, size } = statSync(path);
    inputs[relative(DIST, path)] = [mtimeMs, size, sha256(path)];
  }
  const manifest: Manifest = { build: id, inputs };
  const staging = join(DIST, `${MANIFEST}.${id}.tmp`);
  writeFileSync(staging, JSON.stringify(manifest));
  renameSync(staging, join(DIST, MANIFEST));
  removeOldBuilds(id);
  return { outcome: 'built', manifest };
}
