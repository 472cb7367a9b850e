import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Bindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

/**
 * Prisma's schema engine compiled to WebAssembly. The package is laid out for bundlers (it
 * imports the .wasm file as a module), so Node instantiates it here: the glue module's
 * exports are the wasm imports, and the instance is handed back to the glue.
 */
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
/** Node's WebAssembly global (this repo's TypeScript lib settings do not declare it). */
const wasmApi = () => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let ready: Promise<Bindings> | undefined;

/** The engine, loaded and instantiated on first use (~0.5 s of CPU: a command that opens no database skips it). */
export function schemaEngineModule(): Promise<Bindings> {
  ready ??= (async () => {
    const bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    // The .wasm is not in the package's exports: find it beside the glue module.
    const wasmPath = fileURLToPath(
      new URL('schema_engine_bg.wasm', import.meta.resolve('@prisma/schema-engine-wasm')),
    );
    const glue = bindings as unknown as Record<string, unknown> & { __wbg_set_wasm(w: unknown): void };
    const { instance } = await wasmApi().instantiate(readFileSync(wasmPath), {
      './schema_engine_bg.js': glue,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bindings;
  })();
  return ready;
}
