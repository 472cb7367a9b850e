import { migrationList, migrationNames } from './migrations.js';
import { adapterFactory, NO_FILTER, openSchemaEngine, providerOf } from './schema-engine.js';

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  readonly applied: string[];
  /** Every committed migration now in the database. */
  readonly total: number;
}

/**
 * Brings the database at `url` up to the committed migrations (or the first `upTo` of them)
 * with Prisma's schema engine: applied in order, each recorded in `_prisma_migrations` with its
 * checksum; already-applied ones are skipped, so running it again is a no-op.
 */
export async function migrateDatabase(url: string, options: { upTo?: number } = {}): Promise<MigrateResult> {
  const provider = providerOf(url);
  const names = migrationNames(provider).slice(0, options.upTo);
  if (await migrationsApplied(url, names)) return { applied: [], total: names.length };
  const { engine, close } = await openSchemaEngine(url);
  try {
    const list = migrationList(provider, options.upTo);
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: list,
      filters: NO_FILTER,
    });
    return { applied: appliedMigrationNames, total: list.migrationDirectories.length };
  } catch (error) {
    throw new Error(`database migration failed (${provider}): ${describe(error)}`);
  } finally {
    await close();
  }
}

/**
 * Whether every one of `names` is recorded as applied in `_prisma_migrations` and no migration
 * there failed: then the engine would apply nothing, and starting it (compiling its WebAssembly,
 * ~0.5 s of CPU, on every command that opens the database) is skipped. Anything else (no table
 * yet, a failed or missing migration, a query error) goes to the engine, which applies or reports.
 */
export async function migrationsApplied(url: string, names: string[]): Promise<boolean> {
  let adapter: Awaited<ReturnType<Awaited<ReturnType<typeof adapterFactory>>['connect']>> | undefined;
  try {
    adapter = await (await adapterFactory(url)).connect();
    const { rows } = await adapter.queryRaw({
      sql: 'SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM _prisma_migrations',
      args: [],
      argTypes: [],
    });
    const applied = new Set<string>();
    for (const [name, finished, rolledBack] of rows) {
      // SQLite answers 0/1, PostgreSQL booleans.
      const done = Number(finished) === 1;
      const undone = Number(rolledBack) === 1;
      if (!done && !undone) return false; // a failed migration: the engine reports it
      if (done && !undone) applied.add(String(name));
    }
    return names.every((name) => applied.has(name));
  } catch {
    return false;
  } finally {
    await adapter?.dispose().catch(() => {});
  }
}

/** The engine's errors are objects with a message (and sometimes a Prisma error code). */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const e = error as { message: string; error_code?: string };
    return `${e.error_code ? `${e.error_code}: ` : ''}${e.message}`;
  }
  return String(error);
}

export { migrationNames };
