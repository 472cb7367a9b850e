import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freshBuild, type Manifest, sha256 } from '../../bin/fresh.js';
import { bundleCli, DIST } from './bundle.js';

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
