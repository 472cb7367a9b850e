#!/usr/bin/env node
/**
 * The `stoa` command, on citty (parsing, --help for every command and subcommand).
 * Exit codes: see src/lib/exit-codes.ts and the README.
 */
import { stripVTControlCharacters } from 'node:util';
import { defineCommand, runCommand, runMain, showUsage } from 'citty';
import { type CommandName, DESCRIPTIONS } from './commands/descriptions.js';

export const main = defineCommand({
  meta: {
    name: 'stoa',
    version: '0.1.0',
    description: 'verifiable ML inference on decentralized GPU networks',
  },
  // Loaded on demand: `stoa init` need not load the chain, adapters and database code.
  subCommands: {
    init: () => import('./commands/init.js').then((m) => m.init),
    build: () => import('./commands/build.js').then((m) => m.build),
    quote: () => import('./commands/quote.js').then((m) => m.quote),
    deploy: () => import('./commands/deploy.js').then((m) => m.deploy),
    status: () => import('./commands/status.js').then((m) => m.status),
    logs: () => import('./commands/logs.js').then((m) => m.logs),
    infer: () => import('./commands/infer.js').then((m) => m.infer),
    keys: () => import('./commands/keys.js').then((m) => m.keys),
    usage: () => import('./commands/usage.js').then((m) => m.usage),
    disputes: () => import('./commands/disputes.js').then((m) => m.disputes),
    teardown: () => import('./commands/teardown.js').then((m) => m.teardown),
    db: () => import('./commands/db.js').then((m) => m.db),
    dev: () => import('./commands/dev-command.js').then((m) => m.devCommand),
  } satisfies Record<CommandName, unknown>,
});

/**
 * `stoa` as its usage shows it: every subcommand by its description alone. citty's own usage
 * loads each subcommand's module to read its description (the whole SDK, ~2 s of CPU).
 */
const overview = defineCommand({
  ...main,
  subCommands: Object.fromEntries(
    Object.entries(DESCRIPTIONS).map(([name, description]) => [name, { meta: { name, description } }]),
  ),
});

const rawArgs = process.argv.slice(2);
/** The subcommand named, if any (as citty finds it): citty looks an unknown name up by loading every command. */
const flagsEnd = rawArgs.indexOf('--');
const named = (flagsEnd < 0 ? rawArgs : rawArgs.slice(0, flagsEnd)).find((a) => !a.startsWith('-'));
const known = named !== undefined && Object.hasOwn(DESCRIPTIONS, named);

if (named !== undefined && !known) {
  process.stderr.write(`stoa: Unknown command ${named}\n`);
  await showUsage(overview);
  process.exit(2);
} else if (rawArgs.some((a) => a === '--help' || a === '-h' || a === '--version')) {
  await runMain(known ? main : overview);
} else {
  try {
    await runCommand(main, { rawArgs });
  } catch (error) {
    // citty's own errors (unknown command, none given) are usage errors: exit code 2.
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('E_')) throw error;
    process.stderr.write(`stoa: ${stripVTControlCharacters((error as Error).message)}\n`);
    await showUsage(overview);
    process.exit(2);
  }
}
// Background handles (database pools, sockets) must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
