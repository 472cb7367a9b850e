import type { ArgsDef } from 'citty';
import { describe, expect, it } from 'vitest';
import { unknownFlag } from './flags.js';

const defs = {
  dryRun: { type: 'boolean', description: '' },
  console: { type: 'boolean', description: '', default: true },
  input: { type: 'string', description: '' },
  follow: { type: 'boolean', alias: 'f', description: '' },
  tail: { type: 'string', alias: 'n', description: '' },
  dir: { type: 'positional', description: '' },
} satisfies ArgsDef;

describe('unknownFlag', () => {
  it('accepts declared flags in every form citty reads', () => {
    for (const args of [
      [],
      ['--dry-run'],
      ['--dryRun'],
      ['--no-console'],
      ['--input', '--not-a-flag-but-the-value'],
      ['--input', '-1'],
      ['--input=--x', 'somewhere'],
      ['-f', '-n', '5'],
      ['-fn', '5'],
      ['-n5'],
      ['dir', '--', '--anything', '-z'],
    ]) {
      expect(unknownFlag(args, defs), args.join(' ')).toBeUndefined();
    }
  });

  it('refuses an undeclared flag, naming it and the closest declared one', () => {
    expect(unknownFlag(['--dryrun'], defs)).toBe(
      'unknown option --dryrun (did you mean --dry-run?); see --help',
    );
    expect(unknownFlag(['--inptu', 'x'], defs)).toBe(
      'unknown option --inptu (did you mean --input?); see --help',
    );
    expect(unknownFlag(['--url', 'x'], defs)).toBe('unknown option --url; see --help');
    expect(unknownFlag(['--no-input'], defs)).toMatch(/^unknown option --no-input/); // not a boolean
    expect(unknownFlag(['-x'], defs)).toBe('unknown option -x; see --help');
    expect(unknownFlag(['-fx'], defs)).toBe('unknown option -x; see --help');
    expect(unknownFlag(['--input', 'v', '--dir'], defs)).toMatch(/^unknown option --dir/); // a positional
    expect(unknownFlag(['--input'], defs)).toBe('--input needs a value');
    expect(unknownFlag(['-fn'], defs)).toBe('-n needs a value');
    expect(unknownFlag(['--input='], defs)).toBe('--input needs a value');
    expect(unknownFlag(['--input', '--dry-run'], defs)).toBe('--input needs a value before --dry-run');
  });
});
