import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The compiled `stoa` a user runs (globalSetup builds it): the sources through tsx take ~5 s of CPU to start. */
const STOA = fileURLToPath(new URL('../bin/stoa.js', import.meta.url));

// The whole `stoa dev` (scenario, gateway, console, Ctrl-C) runs in apps/console/src/browser.test.ts.
describe('stoa dev', () => {
  it('refuses a bad command or flag with a usage line and exit code 2', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, [STOA, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
        });
        child.once('exit', (code) => resolve({ code, err }));
      });
    expect(await run(['deplyo'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('Unknown command deplyo'),
    });
    expect(await run(['dev', '--digit', 'x'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--digit must be an integer'),
    });
  });
});
