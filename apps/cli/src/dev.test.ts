import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('stoa dev', () => {
  it('runs the whole system: a live inference on each node, a challenge and a slash, then stops everything', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'dev', '--once', '--digit', '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/reference interpreter: digit #3 \(label \d\) → \d/);
    expect(out).toMatch(/modelId 0x[0-9a-f]{64}/);
    expect(out).toMatch(/node "honest"\): → \d, receipt signed by 0x[0-9a-fA-F]{40}/);
    expect(out).toContain('stake of "honest" 1 ETH (untouched)');
    expect(out).toContain('stake of "faulty" 0 ETH (slashed 1 ETH)');
    expect(out).toMatch(/"disputesWon":1/);
    expect(out).toContain('✔ stop the nodes and the chain');
  }, 240_000);

  it('refuses a bad command or flag with a usage line and exit code 2', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
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
