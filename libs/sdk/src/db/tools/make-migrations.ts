/**
 * Developer tool: renders the Prisma schemas from the template and writes any missing migration
 * SQL, one folder per step of MIGRATION_STEPS and provider, diffed by Prisma's schema engine from
 * the previous step's schema. Committed migrations are never rewritten.
 *   npm run db:migrations -w @stoa/sdk
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS_DIR } from '../migrations.js';
import { diffSchemas } from '../schema-diff.js';
import { MIGRATION_STEPS, type Provider, renderSchema } from '../schema-render.js';

const PRISMA_DIR = fileURLToPath(new URL('../../../prisma/', import.meta.url));

for (const provider of ['sqlite', 'postgresql'] as const satisfies Provider[]) {
  writeFileSync(join(PRISMA_DIR, `schema.${provider}.prisma`), renderSchema(provider));
  const base = join(MIGRATIONS_DIR, provider);
  mkdirSync(base, { recursive: true });
  writeFileSync(join(base, 'migration_lock.toml'), `provider = "${provider}"\n`);
  for (const [index, step] of MIGRATION_STEPS.entries()) {
    const file = join(base, step.name, 'migration.sql');
    if (existsSync(file)) continue;
    const from = index === 0 ? undefined : renderSchema(provider, index - 1);
    mkdirSync(join(base, step.name), { recursive: true });
    writeFileSync(file, await diffSchemas(from, renderSchema(provider, index)));
    console.log(`wrote ${file}`);
  }
}
