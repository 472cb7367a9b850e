import { migrationList, migrationNames } from './migrations.js';
import { NO_FILTER, openSchemaEngine, providerOf } from './schema-engine.js';

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
