import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { schemaEngineModule } from './engine.js';
import { NO_FILTER } from './schema-engine.js';

/**
 * The SQL that takes a database from schema `from` (undefined: empty) to schema `to`, computed by
 * the schema engine from the two datamodels alone; no database is touched (the engine is given an
 * in-memory SQLite connection it does not use for a datamodel-to-datamodel diff).
 */
export async function diffSchemas(from: string | undefined, to: string): Promise<string> {
  const { SchemaEngine } = await schemaEngineModule();
  const factory = bindMigrationAwareSqlAdapterFactory(new PrismaBetterSqlite3({ url: ':memory:' }));
  const engine = await SchemaEngine.new({ datamodels: [['schema.prisma', to]] }, () => {}, factory);
  try {
    const file = (content: string) => ({
      tag: 'schemaDatamodel' as const,
      files: [{ path: 'schema.prisma', content }],
    });
    const result = await engine.diff({
      from: from === undefined ? { tag: 'empty' } : file(from),
      to: file(to),
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    });
    return result.stdout ?? '';
  } finally {
    engine.free();
  }
}
