import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const probe = fileURLToPath(new URL('./testing/determinism-probe.ts', import.meta.url));

function probeInFreshProcess(env: Record<string, string> = {}): Record<string, string> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', probe], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return JSON.parse(out) as Record<string, string>;
}

describe('determinism across processes', () => {
  it('gives byte-identical intermediates, outputs, artifacts and modelIds in separate processes', () => {
    const first = probeInFreshProcess();
    // A different timezone, locale and V8 heap shape must not matter.
    const second = probeInFreshProcess({
      TZ: 'Asia/Kolkata',
      LANG: 'de_DE.UTF-8',
      NODE_OPTIONS: '--max-semi-space-size=1',
    });
    expect(Object.keys(first)).toHaveLength(120);
    expect(second).toEqual(first);
  });
});
