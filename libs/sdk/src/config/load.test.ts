import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findConfig, loadConfig } from './load.js';

const root = mkdtempSync(join(tmpdir(), 'stoa-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, source: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(join(dir, 'stoa.config.ts'), source);
  return dir;
}

const header = `import { defineModel } from '@stoa/sdk';\n`;

describe('loadConfig', () => {
  it('finds stoa.config.ts from a subfolder and loads it outside the repository', async () => {
    const dir = project(
      'ok',
      `${header}const perHour: number = 3;
export default defineModel({
  name: 'digits',
  model: { onnx: './model.onnx', calibration: './calibration.json' },
  networks: ['self-hosted'],
  budget: { maxPerHour: perHour },
});\n`,
    );
    expect(findConfig(join(dir, 'src'))).toBe(join(dir, 'stoa.config.ts'));
    const loaded = await loadConfig({ from: join(dir, 'src') });
    expect(loaded.dir).toBe(dir);
    expect(loaded.config.name).toBe('digits');
    expect(loaded.config.budget.maxPerHour).toBe(3);
  });

  it('names the file and the field path of a bad config', async () => {
    const dir = project(
      'bad',
      `${header}export default defineModel({
  name: 'digits',
  model: { onnx: './model.onnx', calibration: './c.json' },
  networks: ['self-hosted', { adapter: 'akash', gpu: 'H100' }],
  budget: { maxPerHour: 3 },
} as never);\n`,
    );
    await expect(loadConfig({ from: dir })).rejects.toThrow(
      /bad\/stoa\.config\.ts is invalid:\n {2}networks\[1\]\.gpu: /,
    );
  });

  it('says what to do when there is no config or no default export', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await expect(loadConfig({ file: join(empty, 'stoa.config.ts') })).rejects.toThrow(/run 'stoa init'/);
    const dir = project('nodefault', 'export const x = 1;\n');
    await expect(loadConfig({ from: dir })).rejects.toThrow(/no default export/);
  });
});
