/** One line per step: what is happening, then ✔ or ✖ with how long it took. */
export async function step<T>(
  what: string,
  work: () => Promise<T>,
  detail?: (result: T) => string,
): Promise<T> {
  const started = performance.now();
  const tty = process.stdout.isTTY;
  if (tty) process.stdout.write(`  … ${what}`);
  try {
    const result = await work();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const line = `  ✔ ${what}${detail ? `: ${detail(result)}` : ''} (${seconds} s)`;
    process.stdout.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    return result;
  } catch (error) {
    const line = `  ✖ ${what}: ${(error as Error).message}`;
    process.stdout.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    throw error;
  }
}
