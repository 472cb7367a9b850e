import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freshBuild, type Manifest, sha256 } from '../../bin/fresh.js';
import { bundleCli, DIST, OUTPUTS, type Outputs } from './bundle.js';

const run = promisify(execFile);
// Not the test harness's STOA: importing the harness loads the Akash and io.net emulators.
const STOA = fileURLToPath(new URL('../../bin/stoa.js', import.meta.url));

describe('freshness manifest', () => {
  const dist = mkdtempSync(join(tmpdir(), 'stoa-fresh-'));
  const source = join(dist, 'source.ts');
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  const record = () => {
    writeFileSync(source, 'export const a = 1;\n');
    const manifest: Manifest = {
      build: 'b1',
      inputs: { 'source.ts': [statSync(source).mtimeMs, 20, sha256(source)] },
    };
    writeFileSync(join(dist, 'manifest.json'), JSON.stringify(manifest));
  };

  it('is fresh while every input is unchanged, even if only touched', () => {
    record();
    expect(freshBuild(dist)?.build).toBe('b1');
    utimesSync(source, new Date(), new Date(Date.now() + 5000));
    expect(freshBuild(dist)?.build).toBe('b1');
  });

  it('is stale once an input changes (same size included) or disappears, or without a manifest', () => {
    record();
    writeFileSync(source, 'export const a = 2;\n');
    expect(freshBuild(dist)).toBeUndefined();
    record();
    rmSync(source);
    expect(freshBuild(dist)).toBeUndefined();
    expect(freshBuild(join(dist, 'nowhere'))).toBeUndefined();
  });
});

describe('compiled stoa', () => {
  it('is fresh after a build and prints what the sources print', async () => {
    await bundleCli();
    expect(freshBuild(DIST)).toBeDefined();
    // Side by side: ~3 s of CPU compiled, ~7 s from the sources.
    const [compiled, sources] = await Promise.all([
      run(process.execPath, [STOA, 'keys', '--help'], { env: { ...process.env, NO_COLOR: '1' } }),
      run(process.execPath, [STOA, 'keys', '--help'], {
        env: { ...process.env, NO_COLOR: '1', STOA_CLI_SOURCES: '1' },
      }),
    ]);
    expect(compiled.stdout).toContain('stoa keys');
    expect(compiled.stdout).toBe(sources.stdout);
  });
});

/**
 * Every module a `stoa` command resolves through Node's ESM loader: a resolve hook registered
 * before bin/stoa.js appends each URL to a file. (A package's own CommonJS requires are not seen;
 * its entry is.)
 */
const TRACE_HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.STOA_MODULE_TRACE, resolved.url + '\\n');
  return resolved;
}`;
const TRACE = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(TRACE_HOOKS)}`)});`,
)}`;

/** The sources (repository paths) and npm packages a `stoa` command loaded. */
async function loaded(args: string[]): Promise<{ sources: string[]; packages: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-trace-'));
  try {
    const trace = join(dir, 'modules');
    writeFileSync(trace, '');
    await run(process.execPath, ['--import', TRACE, STOA, ...args], {
      env: { ...process.env, NO_COLOR: '1', STOA_MODULE_TRACE: trace },
    });
    const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    const build = join(DIST, 'builds', freshBuild(DIST)!.build);
    const outputs = JSON.parse(readFileSync(join(build, OUTPUTS), 'utf8')) as Outputs;
    const sources = new Set<string>();
    const packages = new Set<string>();
    for (const url of urls) {
      if (!url.startsWith('file:')) continue;
      const path = fileURLToPath(url);
      const name = path.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
      if (name) packages.add(name);
      else if (path.startsWith(`${build}/`))
        for (const input of outputs[path.slice(build.length + 1)] ?? ['?']) sources.add(input);
    }
    return { sources: [...sources].sort(), packages: [...packages].sort() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('what a command loads', () => {
  it('stoa --help and --version load the command table and citty, no command and no SDK', async () => {
    await bundleCli();
    const light = {
      sources: ['apps/cli/src/commands/descriptions.ts', 'apps/cli/src/main.ts'],
      packages: ['citty'],
    };
    const [help, version] = await Promise.all([loaded(['--help']), loaded(['--version'])]);
    expect(help).toEqual(light);
    expect(version).toEqual(light);
  });

  it('the SDK loads without its adapters, database client, tsx or onnxruntime; stoa init without the SDK', async () => {
    await bundleCli();
    const dir = mkdtempSync(join(tmpdir(), 'stoa-init-'));
    try {
      const [deployHelp, init] = await Promise.all([
        loaded(['deploy', '--help']),
        loaded(['init', join(dir, 'p')]),
      ]);
      expect(deployHelp.sources).toContain('libs/sdk/src/index.ts');
      expect(deployHelp.packages).toEqual(['citty', 'zod']);
      expect(init.sources.filter((s) => s.startsWith('libs/sdk/'))).toEqual([]);
      expect(init.packages).toEqual(['citty']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
