import { tmpdir } from 'node:os';
import { stripVTControlCharacters as plain } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stoa } from './testing/harness.js';

describe('stoa usage errors', () => {
  it('exit with code 2, the reason on stderr and the usage of the command at fault', async () => {
    const [template, revoke, keys, typo, tail] = await Promise.all([
      stoa(['init', 'somewhere', '--template', 'nope'], tmpdir()),
      stoa(['keys', 'revoke'], tmpdir()),
      stoa(['keys'], tmpdir()),
      // citty ignores an unknown flag: `stoa deploy --dryrun` would deploy.
      stoa(['deploy', '--dryrun'], tmpdir()),
      // A malformed value is refused before any project or deployment is looked for.
      stoa(['logs', '--tail', 'x'], tmpdir()),
    ]);
    expect(template.code).toBe(2);
    expect(plain(template.stderr)).toContain(
      'Invalid value for argument: --template (nope). Expected one of: mnist-cnn.',
    );
    expect(plain(template.stdout)).toContain('USAGE stoa init [OPTIONS] [DIR]');
    expect(revoke.code).toBe(2);
    expect(plain(revoke.stderr)).toContain('Missing required positional argument: KEY');
    expect(plain(revoke.stdout)).toContain('USAGE stoa keys revoke [OPTIONS] <KEY>');
    expect(plain(revoke.stdout)).toContain('(stoa keys revoke v0.1.0)');
    expect(keys.code).toBe(2);
    expect(plain(keys.stderr)).toContain('No command specified.');
    expect(plain(keys.stdout)).toContain('USAGE stoa keys create|list|revoke');
    expect(typo.code).toBe(2);
    expect(plain(typo.stderr)).toBe('stoa: unknown option --dryrun (did you mean --dry-run?); see --help\n');
    expect([tail.code, plain(tail.stderr)]).toEqual([
      2,
      "stoa: --tail must be a whole number of lines, got 'x'\n",
    ]);
    // A usage error, not a crash: no stack trace.
    for (const r of [template, revoke, keys, typo, tail]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
