#!/usr/bin/env node
/**
 * The `stoa` command, on citty (parsing, --help for every command and subcommand).
 * Exit codes: see src/lib/exit-codes.ts and the README.
 */
import { stripVTControlCharacters } from 'node:util';
import { type CommandDef, defineCommand, runCommand, runMain, showUsage } from 'citty';
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
    // citty's own errors (no subcommand given, a flag's value outside its choices, a required
    // argument missing) are usage errors: exit code 2, with the usage of the command at fault.
    const code = (error as { code?: string }).code ?? '';
    if (!code.startsWith('E_') && code !== 'EARG') throw error;
    process.stderr.write(`stoa: ${stripVTControlCharacters((error as Error).message)}\n`);
    const [command, parent] = await commandNamed(rawArgs);
    await showUsage(command ?? overview, parent);
    process.exit(2);
  }
}

/**
 * The subcommand that `args` name, and its parent for the usage line (`stoa keys revoke`:
 * `revoke` under `stoa keys`). None when they name no subcommand (the overview is shown then).
 */
async function commandNamed(
  args: readonly string[],
): Promise<[CommandDef | undefined, CommandDef | undefined]> {
  const chain: CommandDef[] = [main as CommandDef];
  for (const arg of args) {
    if (arg === '--') break;
    if (arg.startsWith('-')) continue;
    const next = (await resolveValue(chain.at(-1)!.subCommands))?.[arg];
    if (!next) break;
    chain.push((await resolveValue(next)) as CommandDef);
  }
  if (chain.length < 2) return [undefined, undefined];
  // The parent's name is the whole path, so that the usage line reads `stoa keys revoke`.
  const names = await Promise.all(chain.slice(0, -1).map(async (c) => (await resolveValue(c.meta))?.name));
  return [
    chain.at(-1),
    { meta: { name: names.join(' '), version: (await resolveValue(main.meta))?.version } },
  ];
}

async function resolveValue<T>(
  value: T | (() => T | Promise<T>) | Promise<T> | undefined,
): Promise<T | undefined> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value;
}
// Background handles (database pools, sockets) must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
