import { dirname } from 'node:path';
import { databaseUrl, findConfig, migrateDatabase, providerOf } from '@stoa/sdk';
import { defineCommand } from 'citty';
import { stoaCommand } from '../lib/command.js';
import { DESCRIPTIONS } from './descriptions.js';

const migrate = stoaCommand({
  name: 'migrate',
  description: "apply the committed migrations to the project's database (DATABASE_URL or .stoa/stoa.db)",
  async run(args, out) {
    const file = findConfig(args.cwd ?? process.cwd());
    const url = databaseUrl(file ? dirname(file) : (args.cwd ?? process.cwd()));
    const provider = providerOf(url);
    out.progress('start', `migrating the ${provider} database`);
    const result = await migrateDatabase(url);
    out.result({ provider, ...result }, () => [
      result.applied.length
        ? `applied ${result.applied.join(', ')} (${result.total} migrations in all)`
        : `the ${provider} database is up to date (${result.total} migrations)`,
    ]);
  },
});

export const db = defineCommand({
  meta: { name: 'db', description: DESCRIPTIONS.db },
  subCommands: { migrate },
});
