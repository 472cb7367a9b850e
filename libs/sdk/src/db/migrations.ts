import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationDirectory, MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { Provider } from './schema-render.js';

/** Committed migrations: prisma/migrations/<provider>/<name>/migration.sql. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

export function migrationNames(provider: Provider): string[] {
  const dir = join(MIGRATIONS_DIR, provider);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The engine's view of the committed migrations, optionally only the first `count`. */
export function migrationList(provider: Provider, count?: number): MigrationList {
  const base = join(MIGRATIONS_DIR, provider);
  const names = migrationNames(provider).slice(0, count);
  const migrationDirectories: MigrationDirectory[] = names.map((name) => ({
    path: name,
    migrationFile: {
      path: 'migration.sql',
      content: { tag: 'ok', value: readFileSync(join(base, name, 'migration.sql'), 'utf8') },
    },
  }));
  return {
    baseDir: base,
    lockfile: { path: join(base, 'migration_lock.toml'), content: `provider = "${provider}"\n` },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}
