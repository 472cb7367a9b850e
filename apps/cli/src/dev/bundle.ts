import { mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const ENTRIES = {
  node: join(ROOT, 'apps', 'node', 'src', 'main.ts'),
  gateway: join(ROOT, 'apps', 'gateway', 'src', 'main.ts'),
} as const;

/** The processes `stoa dev` starts from a bundle: how to start each, and how to remove them. */
export interface ServiceBundles {
  /** `node <bundle>` for a self-hosted node. */
  readonly node: readonly string[];
  /** `node <bundle>` for the gateway. */
  readonly gateway: readonly string[];
  remove(): void;
}

/**
 * Each module keeps its own `import.meta.url` (the source file's): paths it resolves from it
 * (migrations, createRequire of native packages) stay what they are unbundled.
 */
const sourceUrls: Plugin = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: 'ts',
    }));
  },
};

/**
 * apps/node and apps/gateway bundled into one ES module each (esbuild, ~1-2 s), so that each
 * process `stoa dev` starts loads one file instead of the hundreds of TypeScript modules
 * `node --import tsx` resolves and transpiles one by one: a node is ready in ~4 s instead of
 * ~13 s (docs/decisions.md). Packages outside the workspace stay external, loaded from the
 * repository's node_modules, beside which the bundles are written (one folder per run).
 */
export async function bundleServices(): Promise<ServiceBundles> {
  const outdir = join(ROOT, 'node_modules', '.cache', 'stoa-dev', `${process.pid}-${Date.now()}`);
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: ENTRIES,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Workspace packages (@stoa/*) are bundled; every other package is imported as installed.
    plugins: [
      sourceUrls,
      {
        name: 'external-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@stoa/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
    logLevel: 'error',
  });
  return {
    node: [process.execPath, join(outdir, 'node.mjs')],
    gateway: [process.execPath, join(outdir, 'gateway.mjs')],
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
