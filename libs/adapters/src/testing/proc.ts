import { readdir, readFile } from 'node:fs/promises';

/** Pids of live processes whose environment holds `NAME=value` (Linux /proc). */
export async function processesWithEnv(name: string, value: string): Promise<number[]> {
  const needle = `${name}=${value}`;
  const out: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const env = (await readFile(`/proc/${d}/environ`, 'utf8')).split('\0');
      if (env.includes(needle)) {
        const stat = await readFile(`/proc/${d}/stat`, 'utf8');
        if (!/\) Z /.test(stat)) out.push(Number(d));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
