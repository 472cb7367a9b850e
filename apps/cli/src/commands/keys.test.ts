import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, stoa } from '../testing/harness.js';

let dir: string;
beforeAll(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'stoa-keys-')), 'project');
  expect((await stoa(['init', dir], tmpdir())).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('stoa keys', () => {
  it('refuses empty and malformed limits before creating anything, then lists a key with its limits', async () => {
    const refusals = await Promise.all(
      [
        ['--models'],
        ['--models', 'mnist,,other'],
        ['--quota', '1.5'],
        ['--burst', '0'],
        ['--rate', 'fast'],
        ['--name', ' '],
      ].map((flags) => stoa(['keys', 'create', ...flags], dir)),
    );
    expect(refusals.map((r) => [r.code, r.stderr.trim()])).toEqual([
      [2, 'stoa: --models needs a value'],
      [2, "stoa: --models: an empty name in 'mnist,,other' (comma-separated model names or ids)"],
      [2, "stoa: --quota must be a positive whole number, got '1.5'"],
      [2, "stoa: --burst must be a positive whole number, got '0'"],
      [2, "stoa: --rate must be a positive number, got 'fast'"],
      [2, 'stoa: --name needs a value'],
    ]);
    expect(json<{ keys: unknown[] }>(await stoa(['keys', 'list', '--json'], dir)).keys).toEqual([]);

    const inThirtyDays = () => new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const expiresFrom = inThirtyDays();
    const created = await stoa(
      ['keys', 'create', '--name', 'ci', '--models', 'mnist, other', '--rate', '2.5', '--burst', '5'].concat([
        '--quota',
        '1000',
        '--spend-cap',
        '12.5',
        '--expires-in-days',
        '30',
      ]),
      dir,
    );
    expect(created.code).toBe(0);
    const prefix = /^key (sk_\S+)…/.exec(created.stdout)![1]!;
    const listed = (await stoa(['keys', 'list'], dir)).stdout.split('\n');
    expect(listed[0]).toMatch(/^PREFIX +NAME +MODELS +RATE\/S +QUOTA +CAP \$ +EXPIRES +STATE$/);
    const expires = `(${expiresFrom}|${inThirtyDays()})`; // either side of a midnight
    expect(listed[1]).toMatch(
      new RegExp(`^${prefix} +ci +mnist,other +2\\.5 \\(5\\) +1000 +12\\.5 +${expires} +active$`),
    );
  }, 60_000);
});
