import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ScopedImport } from 'tsx/esm/api';
import { isDefinedModel, parseConfig } from './define-model.js';
import type { StoaConfig } from './schema.js';

/** File names searched for, in order, like next.config.*. */
export const CONFIG_FILES = [
  'stoa.config.ts',
  'stoa.config.mts',
  'stoa.config.js',
  'stoa.config.mjs',
] as const;

export interface LoadedConfig {
  readonly config: StoaConfig;
  /** The config file's absolute path. */
  readonly file: string;
  /** The project directory (the config file's folder): `.stoa/` and relative paths live here. */
  readonly dir: string;
}

/** Finds the config file in `from` or the nearest folder above it. */
export function findConfig(from = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    for (const name of CONFIG_FILES) if (existsSync(join(dir, name))) return join(dir, name);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

let hooksRegistered = false;

/**
 * Set (by esbuild's `define`) only in the compiled `stoa` (apps/cli/dist): the URL of the SDK
 * entry compiled into the same build.
 */
declare const STOA_COMPILED_SDK_URL: string | undefined;

/**
 * A project created by `stoa init` outside this repository imports `@stoa/sdk` without having
 * it installed; this resolve hook points that one specifier at the SDK that is loading it.
 * (An ESM hook: the project's package.json says `"type": "module"`, as `stoa init` writes it.)
 */
function registerSdkResolution(sdkEntry: string): void {
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === '@stoa/sdk') return { url: ${JSON.stringify(sdkEntry)}, shortCircuit: true };
    return next(specifier, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
}

let compiledImport: ScopedImport | undefined;

/**
 * Imports a config file through tsx. From the sources, tsImport loads it (and `@stoa/sdk`, the
 * sources the CLI already runs) in a tsx namespace. In the compiled `stoa`, a namespace would
 * load a second copy of every module the compiled SDK imports (tsx carries the namespace down
 * the import graph): ~5 s of CPU per command. There the hook is registered after tsx, so it
 * runs first (hooks run last-in, first-out) and resolves `@stoa/sdk` to the compiled modules the
 * command has already loaded.
 */
async function importConfig(file: string): Promise<unknown> {
  const url = `${pathToFileURL(file).href}?t=${Date.now()}`;
  // tsx loads with the first config, not with the SDK.
  const { register: registerTsx, tsImport } = await import('tsx/esm/api');
  if (typeof STOA_COMPILED_SDK_URL === 'string') {
    if (!compiledImport) {
      compiledImport = registerTsx({ namespace: 'stoa-config' }).import;
      registerSdkResolution(STOA_COMPILED_SDK_URL);
    }
    return compiledImport(url, import.meta.url);
  }
  if (!hooksRegistered) {
    hooksRegistered = true;
    registerSdkResolution(new URL('../index.ts', import.meta.url).href);
  }
  return tsImport(url, import.meta.url);
}

/** Loads and validates `stoa.config.ts` (found from `from` upwards, or the given file). */
export async function loadConfig(options: { from?: string; file?: string } = {}): Promise<LoadedConfig> {
  const file = options.file ? resolve(options.file) : findConfig(options.from);
  if (!file || !existsSync(file)) {
    throw new Error(
      `no ${CONFIG_FILES[0]} found in ${resolve(options.from ?? options.file ?? '.')} or above; run 'stoa init' to create one`,
    );
  }
  let exported: unknown;
  try {
    exported = ((await importConfig(file)) as { default?: unknown }).default;
  } catch (error) {
    if ((error as Error).name === 'ConfigError') throw withSource(error as Error, file);
    throw new Error(`${file}: cannot load: ${(error as Error).message}`);
  }
  if (exported === undefined)
    throw new Error(`${file}: has no default export; export default defineModel({...})`);
  const config = isDefinedModel(exported) ? exported : parseConfig(exported, file);
  return { config, file, dir: dirname(file) };
}

function withSource(error: Error, file: string): Error {
  error.message = error.message.replace(/^stoa config/, file);
  return error;
}
