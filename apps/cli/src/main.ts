#!/usr/bin/env node
/**
 * The `stoa` command. `stoa dev` runs the whole system on this machine (npm run dev).
 * Usage: stoa dev [--once] [--digit <0..9999>]
 */
import { dev } from './commands/dev.js';

const [command, ...args] = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1]! : fallback;
};

const usage = 'usage: stoa dev [--once] [--digit <0..9999>]';
if (command !== 'dev') {
  console.error(command ? `unknown command '${command}'\n${usage}` : usage);
  process.exit(2);
}
const digit = Number(value('digit', '0'));
if (!Number.isInteger(digit) || digit < 0 || digit > 9999) {
  console.error(`--digit must be an integer in 0..9999 (a held-out test digit), got '${value('digit', '')}'`);
  process.exit(2);
}
try {
  await dev({ once: flag('once'), digit });
  process.exit(0);
} catch (error) {
  console.error(`\nstoa dev failed: ${(error as Error).message}`);
  process.exit(1);
}
