import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { schemaEngineModule } from './engine.js';
import { type Provider, renderSchema } from './schema-render.js';

export const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

export function providerOf(url: string): Provider {
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  if (url.startsWith('file:')) return 'sqlite';
  throw new Error(
    `DATABASE_URL must start with 'file:' (SQLite) or 'postgresql://', got '${url.split(':')[0]}:…'`,
  );
}

/** A Prisma driver-adapter factory for the URL (better-sqlite3 or pg), its driver loaded on first use. */
export async function adapterFactory(url: string) {
  return providerOf(url) === 'postgresql'
    ? new (await import('@prisma/adapter-pg')).PrismaPg({ connectionString: url })
    : new (await import('@prisma/adapter-better-sqlite3')).PrismaBetterSqlite3({ url });
}

export interface OpenEngine {
  readonly engine: SchemaEngine;
  /** Frees the engine and closes every connection it opened (freeing alone leaves them open). */
  close(): Promise<void>;
}

/** The WASM schema engine connected to `url` through the driver adapter. */
export async function openSchemaEngine(url: string, onLog?: (line: string) => void): Promise<OpenEngine> {
  const { SchemaEngine } = await schemaEngineModule();
  const schema = renderSchema(providerOf(url));
  const factory = await adapterFactory(url);
  const opened: { dispose(): Promise<void> }[] = [];
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      const adapter = await factory.connectToShadowDb();
      opened.push(adapter);
      return adapter;
    },
  };
  const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils');
  const bound = bindMigrationAwareSqlAdapterFactory(tracked);
  const engine = await SchemaEngine.new(
    { datamodels: [['schema.prisma', schema]] },
    (line: string) => onLog?.(line),
    bound,
  );
  return {
    engine,
    async close() {
      engine.free();
      await Promise.all(opened.splice(0).map((adapter) => adapter.dispose().catch(() => {})));
    },
  };
}
