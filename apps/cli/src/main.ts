#!/usr/bin/env node
/**
 * The `stoa` command, on citty (parsing, --help for every command and subcommand).
 * Exit codes: see src/lib/exit-codes.ts and the README.
 */
import { defineCommand, runMain } from 'citty';
import { build } from './commands/build.js';
import { db } from './commands/db.js';
import { deploy } from './commands/deploy.js';
import { devCommand } from './commands/dev-command.js';
import { disputes } from './commands/disputes.js';
import { infer } from './commands/infer.js';
import { init } from './commands/init.js';
import { keys } from './commands/keys.js';
import { logs } from './commands/logs.js';
import { quote } from './commands/quote.js';
import { status } from './commands/status.js';
import { teardown } from './commands/teardown.js';

export const main = defineCommand({
  meta: {
    name: 'stoa',
    version: '0.1.0',
    description: 'verifiable ML inference on decentralized GPU networks',
  },
  subCommands: {
    init,
    build,
    quote,
    deploy,
    status,
    logs,
    infer,
    keys,
    disputes,
    teardown,
    db,
    dev: devCommand,
  },
});

await runMain(main);
// Background handles (database pools, sockets) must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
