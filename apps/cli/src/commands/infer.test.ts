import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stoa } from '../testing/harness.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stoa-infer-'));
  await writeFile(join(dir, 'broken.json'), '{"inputs": [[0.1, 0.2]');
  await writeFile(join(dir, 'shape.json'), '{"input": [0.1]}');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Checked before any project, gateway or node is looked for: a bad input costs nothing.
describe('stoa infer', () => {
  it('refuses an input it cannot read or use with exit code 2, naming the flag and the path', async () => {
    const refusals = await Promise.all([
      stoa(['infer', '--file', 'missing.json'], dir),
      stoa(['infer', '--file', '.'], dir),
      stoa(['infer', '--file', 'broken.json'], dir),
      stoa(['infer', '--file', 'shape.json'], dir),
      stoa(['infer', '--input', '[1, 2'], dir),
      stoa(['infer', '--input', '[1]', '--file', 'shape.json'], dir),
    ]);
    expect(refusals.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
    const [missing, directory, broken, shape, input, both] = refusals.map((r) => r.stderr.trim());
    expect(missing).toBe(
      `stoa: --file missing.json: cannot read ${join(dir, 'missing.json')} (no such file)`,
    );
    expect(directory).toBe(`stoa: --file .: cannot read ${dir} (a directory)`);
    expect(broken).toMatch(/^stoa: --file broken\.json: not JSON \(/);
    expect(shape).toBe('stoa: --file shape.json: expected {"inputs": [[...]]} or an array of numbers');
    expect(input).toMatch(/^stoa: --input: not JSON \(/);
    expect(both).toBe('stoa: give --input or --file, not both');
  });
});
